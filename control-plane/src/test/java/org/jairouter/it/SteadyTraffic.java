package org.jairouter.it;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Made-up steady traffic to one instance, written as {@code /metrics} gives it per the metrics contract:
 * after n scrapes, n times the requests of one scrape interval. Half of the successful requests had
 * their first token within (100 ms, 250 ms], half within (250 ms, 500 ms]; so over any window TTFT p50
 * is 250 ms and p95 is 475 ms (linear interpolation in the upper bucket).
 */
record SteadyTraffic(String service, String operation, String model, String instance, int okPerScrape,
                     int errorsPerScrape, int inFlight) {
    static final int INPUT_TOKENS_PER_REQUEST = 40;
    static final int OUTPUT_TOKENS_PER_REQUEST = 120;
    private static final double[] TTFT_BOUNDS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1,
        2.5, 5, 7.5, 10, 30, 60};

    /** The whole scrape: every instance's series and the control plane's own. */
    static String text(List<SteadyTraffic> traffic, int scrape) {
        return traffic.stream().map(t -> t.series(scrape)).collect(Collectors.joining()) + """
                # TYPE jairouter_config_reloads_total counter
                jairouter_config_reloads_total{result="applied"} 3.0
                jairouter_config_reloads_total{result="refused"} 1.0
                # TYPE jairouter_envoy_nacks_total counter
                jairouter_envoy_nacks_total 0.0
                # TYPE jairouter_envoys_connected gauge
                jairouter_envoys_connected 1.0
                # TYPE jairouter_envoy_restarts_total counter
                jairouter_envoy_restarts_total 0.0
                """;
    }

    private String series(int scrape) {
        String model = "service=\"%s\",gen_ai_operation_name=\"%s\",gen_ai_request_model=\"%s\",instance=\"%s\""
                .formatted(service, operation, this.model, instance);
        long ok = (long) okPerScrape * scrape;
        StringBuilder text = new StringBuilder()
                .append(sample("jairouter_requests_total", model + ",code_class=\"2xx\"", ok))
                .append(sample("jairouter_requests_total", model + ",code_class=\"5xx\"", (long) errorsPerScrape * scrape))
                .append(sample("jairouter_requests_in_flight", "service=\"%s\",gen_ai_request_model=\"%s\",instance=\"%s\""
                        .formatted(service, this.model, instance), inFlight));
        for (double bound : TTFT_BOUNDS) {
            long below = bound < 0.25 ? 0 : bound < 0.5 ? ok / 2 : ok;
            text.append(sample("gen_ai_server_time_to_first_token_seconds_bucket", model + ",le=\"" + bound + "\"",
                    below));
        }
        text.append(sample("gen_ai_server_time_to_first_token_seconds_bucket", model + ",le=\"+Inf\"", ok));
        // Embedding models read tokens but write none.
        for (String type : operation.equals("embeddings") ? List.of("input") : List.of("input", "output")) {
            long perRequest = type.equals("input") ? INPUT_TOKENS_PER_REQUEST : OUTPUT_TOKENS_PER_REQUEST;
            String labels = model + ",gen_ai_token_type=\"" + type + "\"";
            text.append(sample("gen_ai_client_token_usage_sum", labels, perRequest * ok))
                    .append(sample("gen_ai_client_token_usage_count", labels, ok));
        }
        return text.toString();
    }

    private static String sample(String name, String labels, long value) {
        return name + "{" + labels + "} " + value + ".0\n";
    }
}
