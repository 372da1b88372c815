package org.jairouter.it;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Made-up steady traffic to one instance, written as {@code /metrics} gives it per the metrics contract
 * (every metric family): after n scrapes, n times the requests of one scrape interval. Half of the
 * successful requests had their first token within (100 ms, 250 ms], half within (250 ms, 500 ms]; so
 * over any window TTFT p50 is 250 ms and p95 is 475 ms (linear interpolation in the upper bucket).
 * Every failed request was a connect failure (flag UF) followed by one retry.
 */
public record SteadyTraffic(
        String service,
        String operation,
        String model,
        String instance,
        int okPerScrape,
        int errorsPerScrape,
        int inFlight) {
    static final int INPUT_TOKENS_PER_REQUEST = 40;
    static final int OUTPUT_TOKENS_PER_REQUEST = 120;
    private static final List<Double> TOKEN_BOUNDS =
            List.of(1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0);
    private static final List<Double> DURATION_BOUNDS = List.of(
            0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68);
    private static final List<Double> TTFT_BOUNDS = List.of(
            0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0);
    private static final List<Double> TPOT_BOUNDS =
            List.of(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5);

    /** The whole scrape: every instance's series, every model's, and the control plane's own. */
    public static String text(List<SteadyTraffic> traffic, int scrape) {
        Map<String, Integer> errorsByModel = new LinkedHashMap<>();
        traffic.forEach(t -> errorsByModel.merge(
                "service=\"%s\",gen_ai_request_model=\"%s\"".formatted(t.service, t.model),
                t.errorsPerScrape,
                Integer::sum));
        StringBuilder text =
                new StringBuilder(traffic.stream().map(t -> t.series(scrape)).collect(Collectors.joining()));
        errorsByModel.forEach((model, errors) -> text.append(
                        sample("jairouter_response_flags_total", model + ",flag=\"UF\"", (long) errors * scrape))
                .append(sample("jairouter_upstream_retries_total", model, (long) errors * scrape)));
        return text + """
                jairouter_config_reloads_total{result="applied"} 3.0
                jairouter_config_reloads_total{result="refused"} 1.0
                jairouter_envoy_nacks_total 0.0
                jairouter_envoys_connected 1.0
                jairouter_envoy_restarts_total 0.0
                """;
    }

    private String series(int scrape) {
        String labels = "service=\"%s\",gen_ai_operation_name=\"%s\",gen_ai_request_model=\"%s\",instance=\"%s\""
                .formatted(service, operation, model, instance);
        String gaugeLabels =
                "service=\"%s\",gen_ai_request_model=\"%s\",instance=\"%s\"".formatted(service, model, instance);
        long ok = (long) okPerScrape * scrape;
        StringBuilder text = new StringBuilder()
                .append(sample("jairouter_requests_total", labels + ",code_class=\"2xx\"", ok))
                .append(sample(
                        "jairouter_requests_total", labels + ",code_class=\"5xx\"", (long) errorsPerScrape * scrape))
                .append(sample("jairouter_requests_in_flight", gaugeLabels, inFlight))
                .append(sample("jairouter_instance_healthy", gaugeLabels, 1))
                .append(sample("jairouter_instance_ejections_total", gaugeLabels, 0))
                .append(histogram("gen_ai_server_time_to_first_token_seconds", labels, TTFT_BOUNDS, ok, 0.25, 0.5))
                .append(histogram("gen_ai_server_request_duration_seconds", labels, DURATION_BOUNDS, ok, 1.28, 2.56))
                .append(histogram(
                        "gen_ai_client_token_usage",
                        labels + ",gen_ai_token_type=\"input\"",
                        TOKEN_BOUNDS,
                        ok,
                        64,
                        64,
                        INPUT_TOKENS_PER_REQUEST));
        // Embedding models read tokens but write none.
        if (!operation.equals("embeddings")) {
            text.append(histogram(
                            "gen_ai_client_token_usage",
                            labels + ",gen_ai_token_type=\"output\"",
                            TOKEN_BOUNDS,
                            ok,
                            256,
                            256,
                            OUTPUT_TOKENS_PER_REQUEST))
                    .append(histogram(
                            "gen_ai_server_time_per_output_token_seconds", labels, TPOT_BOUNDS, ok, 0.025, 0.05));
        }
        return text.toString();
    }

    /** Half of the observations at most {@code lowerHalf}, the rest at most {@code upperHalf}. */
    private static String histogram(
            String name, String labels, List<Double> bounds, long count, double lowerHalf, double upperHalf) {
        return histogram(name, labels, bounds, count, lowerHalf, upperHalf, (lowerHalf + upperHalf) / 2);
    }

    private static String histogram(
            String name,
            String labels,
            List<Double> bounds,
            long count,
            double lowerHalf,
            double upperHalf,
            double mean) {
        StringBuilder text = new StringBuilder();
        for (double bound : bounds) {
            long atMost = bound < lowerHalf ? 0 : bound < upperHalf ? count / 2 : count;
            text.append(sample(name + "_bucket", labels + ",le=\"" + bound + "\"", atMost));
        }
        return text.append(sample(name + "_bucket", labels + ",le=\"+Inf\"", count))
                .append(sample(name + "_sum", labels, Math.round(mean * count)))
                .append(sample(name + "_count", labels, count))
                .toString();
    }

    private static String sample(String name, String labels, long value) {
        return name + (labels.isEmpty() ? "" : "{" + labels + "}") + " " + value + ".0\n";
    }
}
