package org.jairouter.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.status.ConfigStatus;
import org.junit.jupiter.api.Test;

/**
 * Every way a config file can stop being readable YAML is refused out loud — in the log and in the
 * status's last refused edit — while the config in force keeps serving; a good file then applies.
 */
class UnreadableConfigEditsTest {
    @Test
    void undecodableEmptyDeletedAndFolderFilesAreRefusedWhileTrafficFlows() throws Exception {
        try (StubBackend backend = StubBackend.start("chat-1");
                RouterHarness router = RouterHarness.start(RouterHarness.oneChatInstance(backend.baseUrl()))) {
            Path config = router.configFile();
            String good = Files.readString(config);
            AtomicBoolean sending = new AtomicBoolean(true);
            AtomicInteger served = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            Thread traffic = new Thread(() -> {
                while (sending.get()) {
                    try {
                        router.chat("qwen3");
                        served.incrementAndGet();
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                }
            });
            traffic.start();
            try {
                expectRefused(
                        router,
                        () -> replace(
                                config,
                                "model:\n  services: \u00ff\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)),
                        "not UTF-8 text: byte 0xff");
                expectRefused(
                        router,
                        () -> replace(
                                config, good.replace("chat:", "chat:\u0000").getBytes(UTF_8)),
                        "special characters are not allowed");
                expectRefused(router, () -> replace(config, new byte[0]), "the file is empty");
                expectRefused(router, () -> Files.delete(config), "file not found");
                expectRefused(router, () -> Files.createDirectory(config), "is a folder; expected a YAML file");
                Files.delete(config);

                String before = router.router().configVersion();
                replace(config, (good + "# edited\n").getBytes(UTF_8));
                Conditions.await(
                        "the good file applied",
                        Duration.ofSeconds(30),
                        () -> router.router()
                                .configStatus()
                                .applied()
                                .orElseThrow()
                                .at()
                                .isAfter(router.router()
                                        .configStatus()
                                        .lastRefused()
                                        .orElseThrow()
                                        .at()));
                assertEquals(before, router.router().configVersion(), "same config, same version");
                int servedBefore = served.get();
                Conditions.await("traffic after the edits", Duration.ofSeconds(30), () -> served.get() > servedBefore);
            } finally {
                sending.set(false);
                traffic.join();
            }
            assertEquals(0, failed.get(), "failed requests while the file was unreadable");
            assertTrue(served.get() > 0);
        }
    }

    private interface Edit {
        void run() throws Exception;
    }

    private static void expectRefused(RouterHarness router, Edit edit, String message) throws Exception {
        Instant before = router.router()
                .configStatus()
                .lastRefused()
                .map(ConfigStatus.Refused::at)
                .orElse(Instant.EPOCH);
        edit.run();
        Conditions.await(
                "refusal naming '" + message + "'",
                Duration.ofSeconds(30),
                () -> router.router()
                        .configStatus()
                        .lastRefused()
                        .filter(refused -> refused.at().isAfter(before))
                        .isPresent());
        List<String> problems =
                router.router().configStatus().lastRefused().orElseThrow().problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(router.configFile().toString()), problems.get(0));
        assertTrue(problems.get(0).contains(message), problems.get(0));
    }

    /** As editors save: a new file renamed over the old one. */
    private static void replace(Path config, byte[] content) throws Exception {
        Path next = Files.write(config.resolveSibling(config.getFileName() + ".tmp"), content);
        Files.move(next, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
