package org.jairouter.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * Clients that read a large response slowly (or not at all) pin only a bounded amount of Envoy's
 * memory each, whatever the largest request body accepted: Envoy stops reading from the instance once
 * it holds a connection buffer's worth for the client, and the rest waits in the instance. A chat
 * answer too: its usage reader holds no large answer whole.
 */
class SlowReadersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READERS = 20;
    private static final long RESPONSE_BYTES = 64L << 20;
    /** Generous: the connection buffers on both sides of Envoy are 1 MiB each; the old limit was 32 MiB. */
    private static final long BOUND_PER_READER = 6L << 20;

    private static final int CHAT_READERS = 10;
    /** About 16 MiB of JSON: five bytes a word. */
    private static final int CHAT_ANSWER_WORDS = (16 << 20) / 5;
    /** What a speech reader pins (1.8 MiB in RSS): Envoy's buffers for the client and for the instance. */
    private static final long CHAT_BOUND_PER_READER = 2L << 20;

    @Test
    void manyReadersThatDoNotReadPinABoundedAmountOfEnvoysMemory() throws Exception {
        try (StubBackend tts = StubBackend.start("tts-1");
                RouterHarness router = RouterHarness.startWithServer("""
                        server:
                          address: 127.0.0.1
                          port: 0
                          max-request-size: 64MB
                        """, """
                        model:
                          services:
                            tts:
                              instances:
                                - name: "voice"
                                  base-url: "%s"
                        """.formatted(tts.baseUrl()))) {
            tts.setChunkInterval(Duration.ZERO);
            HttpClient http = HttpClient.newHttpClient();
            String admin = "http://" + router.admin().address();
            long before = allocatedBytes(http, admin);
            List<Socket> readers = new ArrayList<>();
            try {
                for (int i = 0; i < READERS; i++) {
                    readers.add(requestSpeechAndNeverRead(router.baseUrl()));
                }
                // Every response has filled what Envoy holds for its client and Envoy stopped reading it.
                Conditions.await(
                        "Envoy pausing every slow response (it stops reading from the instance once it holds a connection buffer for the client)",
                        Duration.ofSeconds(60),
                        () -> counter(http, admin, "upstream_flow_control_paused_reading_total") >= READERS);
                long growth = allocatedBytes(http, admin) - before;

                assertTrue(
                        growth < READERS * BOUND_PER_READER,
                        "Envoy's heap grew by " + (growth >> 20) + " MiB for " + READERS + " slow readers; bound "
                                + (READERS * BOUND_PER_READER >> 20) + " MiB");
            } finally {
                for (Socket reader : readers) {
                    reader.close();
                }
            }
        }
    }

    @Test
    void readersThatDoNotReadALargeChatAnswerPinNoMoreThanSpeechReadersDo() throws Exception {
        try (StubBackend chat = StubBackend.start("chat-1");
                RouterHarness router =
                        RouterHarness.startWithServer("""
                        server:
                          address: 127.0.0.1
                          port: 0
                          max-request-size: 64MB
                        """, RouterHarness.oneChatInstance(chat.baseUrl()))) {
            chat.setChatAnswerWords(CHAT_ANSWER_WORDS);
            HttpClient http = HttpClient.newHttpClient();
            String admin = "http://" + router.admin().address();
            long before = allocatedBytes(http, admin);
            List<Socket> readers = new ArrayList<>();
            try {
                for (int i = 0; i < CHAT_READERS; i++) {
                    readers.add(requestAndNeverRead(
                            router.baseUrl() + "/chat/completions",
                            "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
                }
                // Either way Envoy is done with the instance: it paused every answer, or (a reader that
                // holds answers whole) it has read them all.
                Conditions.await(
                        "Envoy pausing or having read every chat answer",
                        Duration.ofSeconds(60),
                        () -> counter(http, admin, "upstream_flow_control_paused_reading_total") >= CHAT_READERS
                                || counter(http, admin, "upstream_cx_rx_bytes_total")
                                        >= CHAT_READERS * 5L * CHAT_ANSWER_WORDS);
                long growth = allocatedBytes(http, admin) - before;

                assertTrue(
                        growth < CHAT_READERS * CHAT_BOUND_PER_READER,
                        "Envoy's heap grew by " + (growth >> 20) + " MiB for " + CHAT_READERS
                                + " slow readers of a 16 MiB chat answer; bound "
                                + (CHAT_READERS * CHAT_BOUND_PER_READER >> 20) + " MiB");
            } finally {
                for (Socket reader : readers) {
                    reader.close();
                }
            }
        }
    }

    /** Sends a speech request on a socket with a small receive window and leaves the answer unread. */
    private static Socket requestSpeechAndNeverRead(String baseUrl) throws IOException {
        // The stub speaks 4 KiB of audio per word.
        String text = "word ".repeat((int) (RESPONSE_BYTES / 4096));
        return requestAndNeverRead(
                baseUrl + "/audio/speech", "{\"model\":\"voice\",\"input\":\"" + text + "\",\"voice\":\"alloy\"}");
    }

    /** Sends a JSON request on a socket with a small receive window and leaves the answer unread. */
    private static Socket requestAndNeverRead(String url, String json) throws IOException {
        URI uri = URI.create(url);
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
        byte[] body = json.getBytes(UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getAuthority()
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(UTF_8));
        out.write(body);
        out.flush();
        return socket;
    }

    private static long allocatedBytes(HttpClient http, String admin) throws IOException, InterruptedException {
        return JSON.readTree(get(http, admin + "/memory")).path("allocated").asLong();
    }

    /** The sum of an Envoy counter over every cluster (the model's cluster is the only busy one). */
    private static long counter(HttpClient http, String admin, String suffix) {
        try {
            JsonNode stats = JSON.readTree(get(http, admin + "/stats?format=json&filter=" + suffix + "$"));
            long sum = 0;
            for (JsonNode stat : stats.path("stats")) {
                sum += stat.path("value").asLong();
            }
            return sum;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String get(HttpClient http, String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
