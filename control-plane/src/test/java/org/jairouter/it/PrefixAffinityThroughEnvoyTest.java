package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.responses.EasyInputMessage;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Prefix affinity through a real Envoy, with the official SDK and no session id from the client: a
 * conversation stays on one instance as it grows, conversations spread, an overloaded or removed
 * instance loses it, and a session header, when a request has one, decides instead.
 */
class PrefixAffinityThroughEnvoyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String SESSION_HEADER = "x-session-id";
    /** One long system prompt shared by every conversation: only the first question tells them apart. */
    private static final String SYSTEM_PROMPT = "You are the support assistant of a bicycle shop. ".repeat(40);

    private final List<StubBackend> stubs = new ArrayList<>();
    private RouterHarness router;

    @BeforeEach
    void start() throws Exception {
        for (String name : List.of("a", "b", "c")) {
            stubs.add(StubBackend.start(name));
        }
        router = RouterHarness.start(config(stubs));
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        stubs.forEach(StubBackend::close);
    }

    private static String config(List<StubBackend> instances) {
        return """
                model:
                  services:
                    chat:
                      load-balance: {type: random, affinity: prefix, session-header: x-session-id}
                      instances:
                """
                + instances.stream()
                        .map(s -> "        - {name: m, base-url: \"" + s.baseUrl() + "\"}\n")
                        .collect(Collectors.joining());
    }

    /** A chat that grows turn by turn, the client resending it whole, as chat clients do. */
    private static final class Conversation {
        private final ChatCompletionCreateParams.Builder messages;

        Conversation(String firstQuestion) {
            messages = ChatCompletionCreateParams.builder()
                    .model("m")
                    .addSystemMessage(SYSTEM_PROMPT)
                    .addUserMessage(firstQuestion);
        }

        ChatCompletionCreateParams next() {
            return messages.build();
        }

        void answered(String answer, int turn) {
            messages.addAssistantMessage(answer).addUserMessage("And what about part " + turn + "?");
        }
    }

    /** Sends the conversation's next turns one after the other; returns the instances that answered them. */
    private Set<String> servingInstances(Conversation conversation, int turns) {
        Set<String> serving = new HashSet<>();
        for (int turn = 0; turn < turns; turn++) {
            String answer = answer(router.client().chat().completions().create(conversation.next()));
            serving.add(answer);
            conversation.answered(answer, turn);
        }
        return serving;
    }

    private static String answer(ChatCompletion completion) {
        return completion.choices().get(0).message().content().orElseThrow();
    }

    @Test
    void aConversationStaysOnOneInstanceFor50Turns() {
        Set<String> serving = servingInstances(new Conversation("My brakes squeak, what can I do?"), 50);

        assertEquals(1, serving.size(), "50 turns were answered by " + serving);
    }

    @Test
    void conversationsSpreadAndEachStays() {
        Set<String> used = new HashSet<>();
        for (int c = 0; c < 12; c++) {
            Set<String> serving = servingInstances(new Conversation("Question " + c + ": which tyres fit?"), 4);
            assertEquals(1, serving.size(), "conversation " + c + " was answered by " + serving);
            used.addAll(serving);
        }
        // 12 conversations on one instance of 3 by chance: 3^-11.
        assertTrue(used.size() >= 2, "12 conversations all landed on " + used);
    }

    /** The Responses API, stateless: each turn resends the conversation as `input`, keyed by its start. */
    @Test
    void responsesConversationsSpreadAndEachStays() {
        Set<String> used = new HashSet<>();
        for (int c = 0; c < 12; c++) {
            List<ResponseInputItem> input = new ArrayList<>();
            input.add(message(EasyInputMessage.Role.SYSTEM, SYSTEM_PROMPT));
            input.add(message(EasyInputMessage.Role.USER, "Question " + c + ": which chain fits?"));
            Set<String> serving = new HashSet<>();
            for (int turn = 0; turn < 4; turn++) {
                Response response = router.client()
                        .responses()
                        .create(ResponseCreateParams.builder()
                                .model("m")
                                .inputOfResponse(input)
                                .build());
                String answer = response.output().stream()
                        .flatMap(item -> item.message().stream())
                        .flatMap(message -> message.content().stream())
                        .flatMap(content -> content.outputText().stream())
                        .map(ResponseOutputText::text)
                        .collect(Collectors.joining());
                serving.add(answer);
                input.add(message(EasyInputMessage.Role.ASSISTANT, answer));
                input.add(message(EasyInputMessage.Role.USER, "And part " + turn + "?"));
            }
            assertEquals(1, serving.size(), "conversation " + c + " was answered by " + serving);
            used.addAll(serving);
        }
        assertTrue(used.size() >= 2, "12 conversations all landed on " + used);
    }

    private static ResponseInputItem message(EasyInputMessage.Role role, String text) {
        return ResponseInputItem.ofEasyInputMessage(
                EasyInputMessage.builder().role(role).content(text).build());
    }

    @Test
    void aConversationMovesOffAnOverloadedInstanceAndTheShareStaysBounded() throws Exception {
        Conversation busy = new Conversation("Can you hold my order?");
        String ownerName = servingInstances(busy, 1).iterator().next();
        StubBackend owner = stubs.stream()
                .filter(s -> ownerName.contains(s.name()))
                .findFirst()
                .orElseThrow();
        Gate held = owner.holdRequests();
        try {
            List<CompletableFuture<ChatCompletion>> requests = new ArrayList<>();
            int before = placed();
            for (int i = 0; i < 12; i++) {
                requests.add(router.client().async().chat().completions().create(busy.next()));
                int sent = i + 1;
                // One at a time, so that Envoy sees each held request before it places the next.
                Conditions.await("request " + sent + " placed", TIMEOUT, () -> placed() == before + sent);
            }
            int elsewhere = placed() - before - owner.inFlight();
            // Bounded load (factor 1.5 over 3 instances): the owner keeps about 2 of them; at most half is generous.
            assertTrue(
                    owner.inFlight() <= 6 && elsewhere >= 6,
                    "owner holds " + owner.inFlight() + ", others got " + elsewhere);
            held.open();
            requests.forEach(r -> assertTrue(answer(r.join()).contains("Hello")));
        } finally {
            held.open();
        }
    }

    @Test
    void aConversationWhoseInstanceIsRemovedMovesAndStaysMoved() throws Exception {
        Conversation moving = new Conversation("Where is my parcel?");
        String ownerName = servingInstances(moving, 1).iterator().next();
        StubBackend owner = stubs.stream()
                .filter(s -> ownerName.contains(s.name()))
                .findFirst()
                .orElseThrow();
        router.replaceConfig(config(stubs.stream().filter(s -> s != owner).toList()));
        router.awaitEnvoy(endpoints -> endpoints.values().stream().anyMatch(hosts -> hosts.size() == 2));
        int ownerRequests = owner.requestCount();

        Set<String> serving = servingInstances(moving, 20);

        assertEquals(1, serving.size(), "after the move: " + serving);
        assertNotEquals(ownerName, serving.iterator().next());
        assertEquals(ownerRequests, owner.requestCount());
    }

    @Test
    void aSessionHeaderDecidesOverThePrefix() {
        Set<String> oneSession = new HashSet<>();
        for (int c = 0; c < 10; c++) {
            ChatCompletionCreateParams request = new Conversation("Different question " + c)
                    .next().toBuilder()
                            .putAdditionalHeader(SESSION_HEADER, "one-session")
                            .build();
            oneSession.add(answer(router.client().chat().completions().create(request)));
        }
        assertEquals(1, oneSession.size(), "10 conversations of one session went to " + oneSession);

        Conversation shared = new Conversation("The same question in every session");
        Set<String> manySessions = new HashSet<>();
        for (int s = 0; s < 12; s++) {
            ChatCompletionCreateParams request = shared.next().toBuilder()
                    .putAdditionalHeader(SESSION_HEADER, "session-" + s)
                    .build();
            manySessions.add(answer(router.client().chat().completions().create(request)));
        }
        // 12 sessions on one instance of 3 by chance: 3^-11.
        assertTrue(manySessions.size() >= 2, "one conversation in 12 sessions always went to " + manySessions);
    }

    /** Requests the stubs have received, in total. */
    private int placed() {
        return stubs.stream().mapToInt(StubBackend::requestCount).sum();
    }
}
