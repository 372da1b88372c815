package org.jairouter.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.jairouter.config.Adapter;
import org.junit.jupiter.api.Test;

class ServerLoadReadingTest {

    @Test
    void readsVllmSummingItsEngines() {
        String text = """
                # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
                # TYPE vllm:num_requests_waiting gauge
                vllm:num_requests_waiting{engine="0",model_name="qwen"} 3.0
                vllm:num_requests_waiting{engine="1",model_name="qwen"} 1.0
                vllm:num_requests_running{engine="0",model_name="qwen"} 8.0
                vllm:kv_cache_usage_perc{engine="0",model_name="qwen"} 0.42
                vllm:num_requests_waiting_by_reason{reason="capacity"} 99
                """;

        assertEquals(
                Optional.of(new ServerLoad(4, 8, 0.42)),
                MetricNames.of(Adapter.VLLM).orElseThrow().read(text));
    }

    @Test
    void readsOlderVllmCacheNameAndSglang() {
        assertEquals(
                0.9,
                MetricNames.VLLM
                        .read("vllm:num_requests_waiting 0\nvllm:num_requests_running 1\n"
                                + "vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.9\n")
                        .orElseThrow()
                        .kvCacheUsage());
        assertEquals(
                Optional.of(new ServerLoad(2, 5, 0.5)),
                MetricNames.of(Adapter.SGLANG)
                        .orElseThrow()
                        .read("sglang:num_queue_reqs{model_name=\"m\"} 2\nsglang:num_running_reqs{model_name=\"m\"} 5\n"
                                + "sglang:token_usage{model_name=\"m\"} 0.5\n"));
    }

    @Test
    void garbageOrMissingSignalsReadAsNothing() {
        assertEquals(Optional.empty(), MetricNames.VLLM.read("<html>{not: prometheus\u0000"));
        assertEquals(Optional.empty(), MetricNames.VLLM.read("vllm:num_requests_running 2\n"));
        assertEquals(
                Optional.empty(), MetricNames.VLLM.read("vllm:num_requests_waiting NaN\nvllm:num_requests_running 1"));
    }

    @Test
    void serversWithoutLoadMetricsAreNotScraped() {
        for (Adapter adapter : new Adapter[] {Adapter.OLLAMA, Adapter.LOCALAI, Adapter.NORMAL}) {
            assertTrue(MetricNames.of(adapter).isEmpty(), adapter.key());
        }
    }

    @Test
    void loadEnvoyAlreadySeesKeepsTheFullShare() {
        assertEquals(100, LoadWeighting.share(new ServerLoad(2, 8, 0.5), 10));
        assertEquals(100, LoadWeighting.share(new ServerLoad(1, 1, 0.5), 1), "one request of read-time skew");
        assertEquals(100, LoadWeighting.share(new ServerLoad(0, 8, 0.5), 6), "a difference within rounding");
    }

    @Test
    void loadEnvoyCannotSeeOrAFullCacheLowersTheShareButNeverToZero() {
        assertEquals(50, LoadWeighting.share(new ServerLoad(0, 2, 0.5), 0));
        assertEquals(25, LoadWeighting.share(new ServerLoad(5, 3, 0.5), 1));
        assertEquals(25, LoadWeighting.share(new ServerLoad(0, 0, 1.0), 0), "a full cache: a fifth, rounded");
        assertEquals(1, LoadWeighting.share(new ServerLoad(10_000, 8, 1.0), 0));
    }

    @Test
    void sharesMoveOnlyInHalvingsSoThatAlikeServersKeepEqualWeights() {
        // Nine running where Envoy counts six: two beyond the skew, the noise of two reads, not load.
        assertEquals(100, LoadWeighting.share(new ServerLoad(0, 9, 0.5), 6));
        // Three beyond the skew: 7 / 10 of the weight, nearer by ratio to 50 than to 100.
        assertEquals(50, LoadWeighting.share(new ServerLoad(0, 10, 0.5), 6));
        for (int unseen = 0; unseen < 400; unseen++) {
            int share = LoadWeighting.share(new ServerLoad(unseen, 0, 0), 0);
            assertTrue(java.util.List.of(100, 50, 25, 12, 6, 3, 1).contains(share), unseen + " unseen: " + share);
        }
    }
}
