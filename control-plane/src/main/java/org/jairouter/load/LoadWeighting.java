package org.jairouter.load;

import org.jairouter.translate.LoadWeights;

/**
 * The share of its weight an instance keeps for its reported load (the README explains the choice):
 * {@code share = 100 / (1 + waiting + 4 * max(0, (kv - 0.8) / 0.2))}, at least 1.
 * <ul>
 * <li>Envoy's least-request already divides each weight by this Envoy's requests in flight to the
 * instance, which covers the running batch; what it cannot see is the server's queue (requests that
 * wait for a slot, whoever sent them), so each waiting request counts as one more unit of load.</li>
 * <li>A KV cache above 80% full soon makes the server preempt or refuse to admit; at 100% it weighs as
 * four waiting requests.</li>
 * <li>Never 0: an instance that is only slow keeps some traffic and so keeps reporting.</li>
 * </ul>
 */
final class LoadWeighting {
    static final double KV_PRESSURE_FROM = 0.8;
    static final double KV_FULL_PENALTY = 4;

    private LoadWeighting() {
    }

    static int share(ServerLoad load) {
        double kvPressure = Math.max(0, (load.kvCacheUsage() - KV_PRESSURE_FROM) / (1 - KV_PRESSURE_FROM));
        double units = 1 + Math.max(0, load.waiting()) + KV_FULL_PENALTY * kvPressure;
        return (int) Math.max(1, Math.round(LoadWeights.FULL / units));
    }
}
