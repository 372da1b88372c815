package org.jairouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigTextTest {
    private static final Path FILE = Path.of("application.yml");

    @Test
    void asciiAndOtherUtf8TextAreReadAsWritten() throws ConfigException {
        for (String text : new String[] {"model:\n  services: {}\n", "# 模型 é\nmodel:\n  services: {}\n"}) {
            assertEquals(text, ConfigText.decode(FILE, text.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void aByteThatIsNotUtf8IsReportedWithItsLine() {
        byte[] bytes = "model:\n  services: {}\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigText.decode(FILE, bytes));
        assertTrue(e.getMessage().contains("application.yml:3"), e.getMessage());
        assertTrue(e.getMessage().contains("not UTF-8 text: byte 0xe9"), e.getMessage());
    }
}
