package org.jairouter.load;

import java.time.Instant;
import java.util.Optional;

/**
 * What load-aware last learnt of one instance, for the status: its last good reading, when it was
 * taken, the share of its weight it gave, and why the latest scrape failed if it did (the instance is
 * then at its full weight, and the reading shown is older).
 *
 * @param waiting      requests queued, from the last good scrape (empty before one)
 * @param running      requests in the running batch
 * @param kvCacheUsage share of the KV cache in use, 0 to 1
 * @param readAt       when the last good scrape was taken
 * @param share        1 to 100: the percent of the configured weight pushed to Envoy now
 * @param problem      why the latest scrape failed; empty when it succeeded
 */
public record LoadReading(
        Optional<Double> waiting,
        Optional<Double> running,
        Optional<Double> kvCacheUsage,
        Optional<Instant> readAt,
        int share,
        Optional<String> problem) {

    static LoadReading read(ServerLoad load, Instant at, int share) {
        return new LoadReading(
                Optional.of(load.waiting()),
                Optional.of(load.running()),
                Optional.of(load.kvCacheUsage()),
                Optional.of(at),
                share,
                Optional.empty());
    }

    /** A failed scrape: the last good reading stays, as stale as it is, and the full weight applies. */
    LoadReading failed(String why, int fullShare) {
        return new LoadReading(waiting, running, kvCacheUsage, readAt, fullShare, Optional.of(why));
    }

    static final LoadReading NEVER_READ = new LoadReading(
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0, Optional.empty());
}
