package org.jairouter.envoy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.event.Level;

/**
 * How each line of a supervised Envoy's output appears in our log. Envoy's warnings and errors keep their
 * level, so that they stand out from its info lines. The warnings Envoy gives for what we configure on
 * purpose are repeated for every listener update and once per proto message (eight lines per config on the
 * demo): each is said once per run instead, with what it means. Warnings about a stop are info. Any other
 * warning and every error passes as Envoy wrote it. docs/deployment.md lists the lines a start and a stop
 * give.
 */
final class EnvoyLogLines {
    /** Envoy's default format: {@code [time][thread][level][logger] [file:line] message}. */
    private static final Pattern LOG_LINE =
            Pattern.compile("\\[[^\\]]*]\\[[^\\]]*]\\[(?<level>\\w+)]\\[[^\\]]*] (?:\\[[^\\]]*] )?(?<message>.*)");

    /** Warnings Envoy 1.40 gives for config we push on purpose, each with what it means for a user. */
    static final List<ExpectedWarning> EXPECTED = List.of(
            new ExpectedWarning(
                    Pattern.compile("proto file '(envoy/extensions/filters/http/sse_to_metadata/v3/sse_to_metadata"
                            + "|envoy/extensions/content_parsers/json/v3/json_content_parser)\\.proto'"
                            + " marked as work-in-progress"),
                    "token usage of SSE streams is read by Envoy's sse_to_metadata filter and its JSON parser,"
                            + " which Envoy marks as work-in-progress API: their config may change in a later Envoy"
                            + " release (this router is tested with 1.40.0); nothing to do"),
            new ExpectedWarning(
                    Pattern.compile("Using deprecated option"
                            + " 'envoy\\.extensions\\.access_loggers\\.open_telemetry\\.v3\\.OpenTelemetryAccessLogConfig"
                            + "\\.common_config'"),
                    "request records reach the control plane through the OpenTelemetry access logger's common_config,"
                            + " which Envoy 1.40 deprecates; its replacement ignores the batch size we set, so we keep"
                            + " it; nothing to do"));

    private static final Pattern STOP_SIGNAL = Pattern.compile("^caught (ENVOY_)?SIG(TERM|INT)");

    /** Expected warnings said in this run, by any of the Envoy processes started. */
    private final Set<ExpectedWarning> said = ConcurrentHashMap.newKeySet();

    /** A line to log: the level and the text after our {@code [envoy]} prefix. */
    record Forwarded(Level level, String text) {}

    /** A warning Envoy gives for our config by design, recognised by {@code pattern} in its message. */
    record ExpectedWarning(Pattern pattern, String meaning) {}

    /** The output of one Envoy process, read line by line on one thread. */
    ProcessOutput newProcess() {
        return new ProcessOutput();
    }

    final class ProcessOutput {
        /** Envoy said it caught a stop signal (ours, or the terminal's Ctrl-C, which reaches it too). */
        private boolean signalled;

        private ProcessOutput() {}

        /**
         * @param stopping we asked Envoy to stop. Its warnings from then on, as once it says it caught a stop
         *     signal, are about stopping (the signal, the xDS stream closing): info, as an Envoy that exits
         *     unasked is reported by the supervisor anyway. Its errors stay errors.
         * @return the line to log, or empty for an expected warning already said
         */
        Optional<Forwarded> forward(String line, boolean stopping) {
            Matcher parsed = LOG_LINE.matcher(line);
            if (!parsed.matches()) {
                return Optional.of(new Forwarded(Level.INFO, line));
            }
            Level level = level(parsed.group("level"));
            String message = parsed.group("message");
            signalled |= STOP_SIGNAL.matcher(message).find();
            if (level != Level.WARN) {
                return Optional.of(new Forwarded(level, line));
            }
            if (stopping || signalled) {
                return Optional.of(new Forwarded(Level.INFO, line));
            }
            Optional<ExpectedWarning> expected = EXPECTED.stream()
                    .filter(warning -> warning.pattern().matcher(message).find())
                    .findFirst();
            if (expected.isEmpty()) {
                return Optional.of(new Forwarded(Level.WARN, line));
            }
            if (!said.add(expected.get())) {
                return Optional.empty();
            }
            return Optional.of(new Forwarded(
                    Level.INFO,
                    "expected warning, said once: " + expected.get().meaning() + " (Envoy: " + firstSentence(message)
                            + ")"));
        }
    }

    private static Level level(String envoyLevel) {
        return switch (envoyLevel) {
            case "warning" -> Level.WARN;
            case "error", "critical" -> Level.ERROR;
            // Debug and trace lines are there because --envoy-log-level asked for them.
            default -> Level.INFO;
        };
    }

    /** Envoy's warnings go on with advice on runtime overrides that does not apply here. */
    private static String firstSentence(String message) {
        int end = message.indexOf(". ");
        return end < 0 ? message : message.substring(0, end + 1);
    }
}
