package org.jairouter.load;

import org.jairouter.translate.LoadWeights;

/**
 * The share of its weight an instance keeps for its reported load (the README explains the choice):
 * <pre>
 * unseen = max(0, running + waiting − envoyActive − 1)
 * share  = 100 × (envoyActive + 1) / (envoyActive + 1 + unseen) / (1 + 4 × max(0, (kv − 0.8) / 0.2)),
 * </pre>
 * between 1 and 100.
 * <ul>
 * <li>Envoy's least-request scores an instance by weight / (its own requests in flight + 1). The
 * server knows its real load, running + waiting, which also counts requests Envoy did not send (other
 * routers, other clients). Scaling the weight by (envoyActive + 1) / (real load + 1) makes Envoy's
 * score weight / (real load + 1): least real load, not least load seen.</li>
 * <li>When Envoy is the server's only client the two counts agree and the share stays 100, so Envoy's
 * exact full scan of requests in flight keeps deciding; one request of difference is tolerated
 * because the two counts are read a moment apart.</li>
 * <li>A KV cache above 80% full soon makes the server stop admitting or preempt; at 100% the share is
 * divided by 5.</li>
 * <li>Never 0: a slow instance keeps some traffic and so keeps reporting.</li>
 * </ul>
 */
final class LoadWeighting {
    static final double KV_PRESSURE_FROM = 0.8;
    static final double KV_FULL_PENALTY = 4;
    /** Requests of difference between the server's count and Envoy's that are read-time skew, not load. */
    static final double SKEW = 1;

    private LoadWeighting() {}

    /** @param envoyActive requests this Envoy has in flight to the instance */
    static int share(ServerLoad load, long envoyActive) {
        double realLoad = Math.max(0, load.running()) + Math.max(0, load.waiting());
        double unseen = Math.max(0, realLoad - envoyActive - SKEW);
        double kvPressure = Math.max(0, (load.kvCacheUsage() - KV_PRESSURE_FROM) / (1 - KV_PRESSURE_FROM));
        double share = LoadWeights.FULL
                * (envoyActive + 1.0)
                / (envoyActive + 1.0 + unseen)
                / (1 + KV_FULL_PENALTY * kvPressure);
        return (int) Math.max(1, Math.round(share));
    }
}
