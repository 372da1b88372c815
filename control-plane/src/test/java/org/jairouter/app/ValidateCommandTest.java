package org.jairouter.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code jairouter validate} checks files without starting anything, for our users' CI pipelines. */
class ValidateCommandTest {
    @TempDir
    Path dir;

    @Test
    void aValidFileExitsZero() throws Exception {
        Path file = Files.writeString(dir.resolve("good.yml"), """
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://10.0.0.1:8000"}]
                """);

        Result result = validate(file);

        assertEquals(0, result.exitCode());
        assertTrue(result.output().contains("good.yml: valid"), result.output());
    }

    @Test
    void anInvalidFileExitsOneWithEveryProblemLocated() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yml"), """
                model:
                  services:
                    chat:
                      load-balance: {type: fastest}
                      instances: [{name: m, base-url: "http://10.0.0.1:8000", wieght: 2}]
                """);

        Result result = validate(file);

        assertEquals(1, result.exitCode());
        assertTrue(
                result.output().contains("bad.yml:4: model.services.chat.load-balance.type: unknown load-balance type"),
                result.output());
        assertTrue(
                result.output()
                        .contains(
                                "bad.yml:5: model.services.chat.instances[0].wieght: unknown key; did you mean 'weight'?"),
                result.output());
    }

    @Test
    void explainShowsAJaiRouterTreeFileByFileWithKeysByIdOnly() {
        // The golden case written in JAiRouter 2.8's layout; its folder stands for / (the /app/config mount).
        Path tree = Path.of("src/test/resources/golden/jairouter-tree");

        Result result = validate(
                "validate",
                "--explain",
                "--file-root",
                tree.toString(),
                tree.resolve("input.yml").toString());

        assertEquals(0, result.exitCode(), result.output());
        String output = result.output();
        assertTrue(
                output.contains("files read, each overriding the ones before it:\n  " + tree.resolve("input.yml")
                        + "\n  " + tree.resolve("app/config/application.yml")),
                output);
        assertTrue(output.contains("  " + tree.resolve("input-dev.yml") + "\nprofiles: dev\n"), output);
        assertTrue(output.contains("listener: 0.0.0.0:8080"), output);
        assertTrue(output.contains("  model qwen3:4b: 1 instance(s)\n    http://10.0.0.3:9090 path"), output);
        assertTrue(output.contains("    http://10.0.0.2:9090/ path /v1/embeddings weight 2"), output);
        assertTrue(
                output.contains("client keys: 1, enforced (header X-API-Key)\n  test-key-001: every service"), output);
        assertFalse(output.contains("sk-golden-tree-key-0001"), "a key's value is never printed");
        assertTrue(
                output.contains("config/router/services.yml:12: model.services.embedding.fallback.strategy"), output);
    }

    private record Result(int exitCode, String output) {}

    private static Result validate(Path file) {
        return validate("validate", file.toString());
    }

    private static Result validate(String... arguments) {
        StringWriter out = new StringWriter();
        CommandLine command = new CommandLine(new JaiRouter()).setOut(new PrintWriter(out));
        int exitCode = command.execute(arguments);
        return new Result(exitCode, out.toString());
    }
}
