package org.jairouter.load;

import org.jairouter.translate.LoadWeights;

/**
 * The share of its weight an instance keeps for its reported load (the README explains the choice):
 * <pre>
 * share = 100 × (envoyActive + 1) / (running + waiting + 1) / (1 + 4 × max(0, (kv − 0.8) / 0.2)),
 * </pre>
 * between 1 and 100, and 100 from 90 up.
 * <ul>
 * <li>Envoy's least-request scores an instance by weight / (its own requests in flight + 1). The
 * server knows its real load, running + waiting, which also counts requests Envoy did not send (other
 * routers, other clients) and requests that pile up because it is slow. Scaling the weight by
 * (envoyActive + 1) / (running + waiting + 1) makes Envoy's score weight / (real load + 1): least
 * real load, not least load seen.</li>
 * <li>When Envoy is the server's only client the two counts agree and the share stays 100, so Envoy's
 * exact full scan of requests in flight keeps deciding; small disagreements (the counts are read a
 * moment apart) are ignored for the same reason.</li>
 * <li>A KV cache above 80% full soon makes the server stop admitting or preempt; at 100% the share is
 * divided by 5.</li>
 * <li>Never 0: a slow instance keeps some traffic and so keeps reporting.</li>
 * </ul>
 */
final class LoadWeighting {
    static final double KV_PRESSURE_FROM = 0.8;
    static final double KV_FULL_PENALTY = 4;
    /** Shares from here up count as full: the counts are read a moment apart. */
    static final int NOISE_FLOOR = 90;

    private LoadWeighting() {
    }

    /** @param envoyActive requests this Envoy has in flight to the instance */
    static int share(ServerLoad load, long envoyActive) {
        double realLoad = Math.max(0, load.running()) + Math.max(0, load.waiting());
        double unseen = (envoyActive + 1.0) / (realLoad + 1.0);
        double kvPressure = Math.max(0, (load.kvCacheUsage() - KV_PRESSURE_FROM) / (1 - KV_PRESSURE_FROM));
        long share = Math.round(LoadWeights.FULL * unseen / (1 + KV_FULL_PENALTY * kvPressure));
        return share >= NOISE_FLOOR ? LoadWeights.FULL : (int) Math.max(1, share);
    }
}
