package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.errors.InternalServerException;
import com.openai.models.images.ImageGenerateParams;
import org.jairouter.fixtures.GarbageBackend;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * An instance that reads a request and answers garbage (not HTTP): the request goes to another instance
 * for chat, where the failed instance's work is aborted with its connection; not for image generation,
 * where the image may be made (and billed) anyway, and the client gets OpenAI's error JSON instead.
 */
class GarbageAnswerThroughEnvoyTest {
    private static final int REQUESTS = 10;

    @Test
    void aGarbageAnswerIsRetriedForChatAndNotForImages() throws Exception {
        try (GarbageBackend garbageChat = GarbageBackend.start();
                StubBackend healthyChat = StubBackend.start("chat-healthy");
                GarbageBackend garbageImages = GarbageBackend.start();
                StubBackend healthyImages = StubBackend.start("img-healthy");
                RouterHarness router = RouterHarness.start("""
                        model:
                          health-check: {type: tcp}
                          services:
                            chat:
                              load-balance: {type: round-robin}
                              instances:
                                - {name: "qwen3", base-url: "%s"}
                                - {name: "qwen3", base-url: "%s"}
                            img-gen:
                              load-balance: {type: round-robin}
                              instances:
                                - {name: "sd", base-url: "%s"}
                                - {name: "sd", base-url: "%s"}
                        """.formatted(
                                garbageChat.baseUrl(),
                                healthyChat.baseUrl(),
                                garbageImages.baseUrl(),
                                healthyImages.baseUrl()))) {
            for (int i = 0; i < REQUESTS; i++) {
                assertEquals("Hello from chat-healthy", router.chat("qwen3"));
            }
            assertTrue(garbageChat.requestCount() > 0, "round-robin never tried the garbage instance");

            // Round-robin: one of the first two requests reaches the garbage instance.
            InternalServerException error = null;
            for (int generated = 0; error == null && generated < 2; generated++) {
                try {
                    router.client()
                            .images()
                            .generate(ImageGenerateParams.builder()
                                    .model("sd")
                                    .prompt("a cat")
                                    .build());
                } catch (InternalServerException e) {
                    assertEquals(generated, healthyImages.requestCount(), "the garbage answer was retried");
                    error = e;
                }
            }
            assertNotNull(error, "no image request failed: the garbage answer was retried");
            assertEquals(1, garbageImages.requestCount());
            assertTrue(error.getMessage().contains("model 'sd'"), error.getMessage());
        }
    }
}
