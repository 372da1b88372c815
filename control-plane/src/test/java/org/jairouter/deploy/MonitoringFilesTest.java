package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring profile's files agree with the metrics contract and with compose.yaml: the Grafana
 * dashboard queries only metrics and labels that {@code /metrics} has, and Prometheus scrapes the
 * control plane's status port.
 */
class MonitoringFilesTest {
    private static final Logger LOG = LoggerFactory.getLogger(MonitoringFilesTest.class);
    private static final Path REPO =
            Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();
    static final Path MONITORING = REPO.resolve("deploy/monitoring");
    static final Path DASHBOARD = MONITORING.resolve("grafana/dashboards/jairouter.json");
    /** The metric families of the metrics contract (docs/metrics-and-dashboard.md, Metrics). */
    private static final Set<String> HISTOGRAMS = Set.of(
            "gen_ai_client_token_usage",
            "gen_ai_server_request_duration_seconds",
            "gen_ai_server_time_to_first_token_seconds",
            "gen_ai_server_time_per_output_token_seconds");

    private static final Set<String> COUNTERS_AND_GAUGES = Set.of(
            "jairouter_requests_total",
            "jairouter_response_flags_total",
            "jairouter_requests_in_flight",
            "jairouter_upstream_retries_total",
            "jairouter_instance_healthy",
            "jairouter_instance_ejections_total",
            "jairouter_config_reloads_total",
            "jairouter_envoy_nacks_total",
            "jairouter_envoys_connected",
            "jairouter_envoy_restarts_total",
            "jairouter_request_record_batches_total");
    private static final Set<String> LABELS = Set.of(
            "service",
            "gen_ai_operation_name",
            "gen_ai_request_model",
            "instance",
            "gen_ai_token_type",
            "code_class",
            "flag",
            "result",
            "le");
    /** What the dashboard must show: traffic, errors, latency, tokens, load, health, the control plane. */
    private static final Set<String> SHOWN = Set.of(
            "jairouter_requests_total",
            "jairouter_response_flags_total",
            "gen_ai_server_time_to_first_token_seconds_bucket",
            "gen_ai_client_token_usage_sum",
            "jairouter_requests_in_flight",
            "jairouter_instance_healthy",
            "jairouter_config_reloads_total",
            "jairouter_envoy_nacks_total");

    private static final Set<String> PROMQL_WORDS = Set.of(
            "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)}");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_]\\w*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without|on|ignoring)\\s*\\(([^)]*)\\)");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern IDENTIFIER = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*+)(\\s*\\()?");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((\\w+)(\\{.*})?,\\s*(\\w+)\\)");

    @Test
    void grafanaQueriesOnlyMetricsAndLabelsOfTheContract() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> metrics = new TreeSet<>();
        Set<String> labels = new TreeSet<>();
        for (String expression : expressions(dashboard)) {
            read(expression, metrics, labels);
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher query =
                    LABEL_VALUES.matcher(variable.path("query").path("query").asText());
            assertTrue(query.matches(), "variable " + variable.path("name") + ": " + query);
            read(query.group(1) + (query.group(2) == null ? "" : query.group(2)), metrics, labels);
            labels.add(query.group(3));
        }

        Set<String> exposed = new LinkedHashSet<>(COUNTERS_AND_GAUGES);
        HISTOGRAMS.forEach(h -> Stream.of("_bucket", "_sum", "_count").forEach(suffix -> exposed.add(h + suffix)));
        assertEquals(Set.of(), difference(metrics, exposed), "metrics not in the contract");
        assertEquals(Set.of(), difference(labels, LABELS), "labels not in the contract");
        assertEquals(Set.of(), difference(SHOWN, metrics), "metrics the dashboard does not show");
    }

    @Test
    void prometheusScrapesTheStatusPortOfTheComposeControlPlane() throws IOException {
        Map<String, Object> scrape =
                map(((List<?>) map(new Yaml().load(Files.readString(MONITORING.resolve("prometheus.yml"))))
                                .get("scrape_configs"))
                        .get(0));
        List<?> command = (List<?>) composeService("control-plane").get("command");
        String statusPort = (String) command.get(command.indexOf("--status-port") + 1);

        assertEquals("/metrics", scrape.get("metrics_path"));
        assertEquals(
                List.of("control-plane:" + statusPort),
                map(((List<?>) scrape.get("static_configs")).get(0)).get("targets"));
        // Our `instance` label names the model server; Prometheus must not replace it by the scrape target.
        assertEquals(true, scrape.get("honor_labels"));
    }

    @Test
    void monitoringServicesComeOnlyWithTheirProfileAndMountFilesThatExist() throws IOException {
        for (String name : List.of("prometheus", "grafana")) {
            Map<String, Object> service = composeService(name);
            assertEquals(List.of("monitoring"), service.get("profiles"), name);
            for (Object volume : (List<?>) service.get("volumes")) {
                Path source = REPO.resolve(volume.toString().split(":")[0]);
                assertTrue(Files.exists(source), name + " mounts " + source + ", which is missing");
            }
        }
    }

    /** Prometheus' own parser: the scrape config and every dashboard expression (as a recording rule). */
    @Test
    void promtoolAcceptsTheScrapeConfigAndEveryExpression(@org.junit.jupiter.api.io.TempDir Path temp)
            throws Exception {
        boolean present = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "promtool")));
        if (!present) {
            LOG.warn(
                    "{} promtool check SKIPPED: no promtool on PATH (Debian: apt-get install prometheus)",
                    getClass().getSimpleName());
        }
        assumeTrue(present, "no promtool on PATH (Debian: apt-get install prometheus)");
        List<Map<String, String>> rules = new ArrayList<>();
        for (String expression : expressions(new ObjectMapper().readTree(DASHBOARD.toFile()))) {
            rules.add(Map.of(
                    "record", "jairouter:dashboard_" + rules.size(), "expr", withGrafanaVariablesSet(expression)));
        }
        Path rulesFile = Files.writeString(
                temp.resolve("rules.yml"),
                new Yaml().dump(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));

        promtool("check", "config", MONITORING.resolve("prometheus.yml").toString());
        promtool("check", "rules", rulesFile.toString());
    }

    private static void promtool(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
    }

    /** What Grafana puts in place of its variables before sending a query. */
    static String withGrafanaVariablesSet(String expression) {
        return expression
                .replace("$__rate_interval", "1m")
                .replace("$__range", "1h")
                .replace("$service", ".*")
                .replace("$model", ".*");
    }

    static List<String> expressions(JsonNode dashboard) {
        List<String> expressions = new ArrayList<>();
        dashboard
                .path("panels")
                .forEach(panel -> panel.path("targets")
                        .forEach(target -> expressions.add(target.path("expr").asText())));
        assertTrue(expressions.size() >= SHOWN.size(), "dashboard has only " + expressions.size() + " queries");
        return expressions;
    }

    /** Adds the metric names and label names a PromQL expression uses. */
    private static void read(String expression, Set<String> metrics, Set<String> labels) {
        String text = STRING.matcher(expression).replaceAll("\"\"");
        Matcher matchers = MATCHERS.matcher(text);
        while (matchers.find()) {
            Matcher label = MATCHER_LABEL.matcher(matchers.group(1));
            while (label.find()) {
                labels.add(label.group(1));
            }
        }
        Matcher grouping = GROUPING.matcher(text);
        while (grouping.find()) {
            Stream.of(grouping.group(1).split(","))
                    .map(String::trim)
                    .filter(l -> !l.isEmpty())
                    .forEach(labels::add);
        }
        text = RANGE.matcher(
                        GROUPING.matcher(MATCHERS.matcher(text).replaceAll(" ")).replaceAll(" "))
                .replaceAll(" ");
        Matcher identifier = IDENTIFIER.matcher(text);
        while (identifier.find()) {
            boolean function = identifier.group(2) != null;
            if (!function && !PROMQL_WORDS.contains(identifier.group(1))) {
                metrics.add(identifier.group(1));
            }
        }
    }

    private static Set<String> difference(Set<String> all, Set<String> allowed) {
        Set<String> outside = new TreeSet<>(all);
        outside.removeAll(allowed);
        return outside;
    }

    private static Map<String, Object> composeService(String name) throws IOException {
        return map(map(map(new Yaml().load(Files.readString(REPO.resolve("compose.yaml"))))
                        .get("services"))
                .get(name));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object yamlNode) {
        return (Map<String, Object>) yamlNode;
    }
}
