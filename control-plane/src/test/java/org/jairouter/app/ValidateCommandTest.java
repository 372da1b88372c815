package org.jairouter.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private record Result(int exitCode, String output) {}

    private static Result validate(Path file) {
        StringWriter out = new StringWriter();
        CommandLine command = new CommandLine(new JaiRouter()).setOut(new PrintWriter(out));
        int exitCode = command.execute("validate", file.toString());
        return new Result(exitCode, out.toString());
    }
}
