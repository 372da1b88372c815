package org.jairouter.load;

import java.util.Optional;
import org.jairouter.config.Adapter;

/**
 * Where each kind of model server reports its load, and under which Prometheus names. Ollama and
 * LocalAI publish nothing about their queues (Ollama has no metrics endpoint; LocalAI's are API
 * counters), nor do the generic adapters, so their instances are balanced on requests in flight alone.
 *
 * @param path     the metrics path, from the server's root (not the base-url's path)
 * @param waiting  the queue length
 * @param running  the running batch
 * @param kvCache  KV-cache use, 0 to 1; later names are older spellings
 */
record MetricNames(String path, String waiting, String running, String... kvCache) {
    static final MetricNames VLLM = new MetricNames(
            "/metrics",
            "vllm:num_requests_waiting",
            "vllm:num_requests_running",
            "vllm:kv_cache_usage_perc",
            "vllm:gpu_cache_usage_perc");
    static final MetricNames SGLANG =
            new MetricNames("/metrics", "sglang:num_queue_reqs", "sglang:num_running_reqs", "sglang:token_usage");

    static Optional<MetricNames> of(Adapter adapter) {
        return switch (adapter) {
            case VLLM -> Optional.of(VLLM);
            case SGLANG -> Optional.of(SGLANG);
            case NORMAL, GPUSTACK, OLLAMA, XINFERENCE, LOCALAI -> Optional.empty();
        };
    }

    /** The load in the text, if it has the queue and the batch; KV-cache use is optional (0 when absent). */
    Optional<ServerLoad> read(String text) {
        PrometheusText metrics = PrometheusText.parse(text);
        Optional<Double> queue = metrics.first(waiting);
        Optional<Double> batch = metrics.first(running);
        if (queue.isEmpty() || batch.isEmpty()) {
            return Optional.empty();
        }
        double kv = metrics.first(kvCache).orElse(0.0);
        return Optional.of(new ServerLoad(queue.get(), batch.get(), Math.max(0, Math.min(1, kv))));
    }
}
