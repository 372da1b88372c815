package org.jairouter.load;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the samples of a Prometheus text exposition: per metric name, the sum over its label sets
 * (vLLM publishes one series per engine, SGLang one per model). Lines that are not samples are skipped,
 * so garbage yields no metrics rather than wrong ones.
 */
final class PrometheusText {
    private final Map<String, Double> sums;

    private PrometheusText(Map<String, Double> sums) {
        this.sums = sums;
    }

    static PrometheusText parse(String text) {
        Map<String, Double> sums = new HashMap<>();
        text.lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .forEach(line -> {
                    int nameEnd = indexOfAny(line, "{ ");
                    int valueStart = line.indexOf('{') == nameEnd ? line.indexOf('}', nameEnd) + 1 : nameEnd;
                    if (nameEnd <= 0 || valueStart <= 0) {
                        return;
                    }
                    String[] rest = line.substring(valueStart).strip().split("\\s+");
                    try {
                        double value = Double.parseDouble(rest[0]);
                        if (Double.isFinite(value)) {
                            sums.merge(line.substring(0, nameEnd), value, Double::sum);
                        }
                    } catch (NumberFormatException notASample) {
                        // skipped, as the class says
                    }
                });
        return new PrometheusText(sums);
    }

    /** The first of the names that is present, summed over its series. */
    Optional<Double> first(String... names) {
        for (String name : names) {
            Double value = sums.get(name);
            if (value != null) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }

    private static int indexOfAny(String line, String characters) {
        for (int i = 0; i < line.length(); i++) {
            if (characters.indexOf(line.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }
}
