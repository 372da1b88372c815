package org.jairouter.it;

import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes updates a mounted ConfigMap by writing a new folder and swapping a symlink
 * ({@code application.yml -> ..data/application.yml}, {@code ..data -> ..v2}); the file the router
 * watches is never written. The router must still follow.
 */
class KubernetesConfigMapSwapTest {
    @TempDir
    Path mount;

    @Test
    void aSymlinkSwapReconfiguresEnvoy() throws Exception {
        try (StubBackend first = StubBackend.start("first");
                StubBackend second = StubBackend.start("second")) {
            publish("..v1", first);
            Files.createSymbolicLink(mount.resolve("application.yml"), Path.of("..data/application.yml"));
            try (RouterHarness router = RouterHarness.startWithConfigFile(mount.resolve("application.yml"))) {
                publish("..v2", second);

                router.awaitEnvoy(clusters ->
                        clusters.getOrDefault("chat~m", Set.of()).equals(Set.of("127.0.0.1:" + second.port())));
                // The replacement gets traffic once its first health check has passed.
                Conditions.await("the replacement instance answering", Duration.ofSeconds(30), () -> {
                    try {
                        return router.client()
                                .chat()
                                .completions()
                                .create(ChatCompletionCreateParams.builder()
                                        .model("m")
                                        .addUserMessage("hi")
                                        .build())
                                .choices()
                                .get(0)
                                .message()
                                .content()
                                .orElseThrow()
                                .equals("Hello from second");
                    } catch (InternalServerException notYetHealthy) {
                        return false;
                    }
                });
            }
        }
    }

    /** Writes a version folder and points ..data at it in one atomic rename, as the kubelet does. */
    private void publish(String version, StubBackend backend) throws Exception {
        Path folder = Files.createDirectory(mount.resolve(version));
        Files.writeString(folder.resolve("application.yml"), """
                server: {address: 127.0.0.1, port: 0}
                model:
                  services:
                    chat:
                      instances:
                        - {name: m, base-url: "%s"}
                """.formatted(backend.baseUrl()));
        Path link = Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of(version));
        Files.move(link, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
