package org.jairouter.config;

import static org.jairouter.config.ConfigTexts.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The monitoring section: JAiRouter's switch honoured, its Micrometer tuning warned about, our access log. */
class MonitoringConfigTest {
    private static final String MODEL = """
            model:
              services:
                chat:
                  instances:
                    - { name: qwen, base-url: "http://10.0.0.1:8000" }
            """;

    @Test
    void withoutTheSectionRecordsGoToTheControlPlaneAndNoAccessLogIsWritten() {
        assertEquals(Monitoring.DEFAULT, ConfigTexts.load(MODEL).config().monitoring());
        assertEquals(new Monitoring(true, Optional.empty()), Monitoring.DEFAULT);
    }

    @Test
    void accessLogGoesToStdoutOrAFile() {
        assertEquals(Optional.of("/dev/stdout"), accessLog("stdout"));
        assertEquals(Optional.of("/var/log/jairouter/access.log"), accessLog("/var/log/jairouter/access.log"));
        assertEquals(Optional.empty(), accessLog("\"off\""));
    }

    @Test
    void aRelativeAccessLogPathIsAnError() {
        ConfigProblem problem = ConfigTexts.onlyProblem("monitoring:\n  access-log: logs/access.log\n" + MODEL);
        assertProblem(problem, 2, "monitoring.access-log", "expected stdout, stderr, off or an absolute file path");
    }

    @Test
    void jaiRoutersSwitchTurnsTheRecordsOffAndItsTuningKeysAreWarnedAbout() {
        LoadedConfig loaded = ConfigTexts.load("monitoring:\n  enabled: false\n  prefix: jairouter\n" + MODEL);
        assertEquals(new Monitoring(false, Optional.empty()), loaded.config().monitoring());
        assertTrue(
                loaded.warnings().stream().anyMatch(w -> w.key().equals("monitoring.prefix")),
                loaded.warnings()::toString);
    }

    private static Optional<String> accessLog(String value) {
        return ConfigTexts.load("monitoring:\n  access-log: " + value + "\n" + MODEL)
                .config()
                .monitoring()
                .accessLogPath();
    }
}
