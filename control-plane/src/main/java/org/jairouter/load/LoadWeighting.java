package org.jairouter.load;

import org.jairouter.translate.LoadWeights;

/**
 * The share of its weight an instance keeps for its reported load (docs/routing-and-affinity.md explains the choice):
 * <pre>
 * unseen = max(0, running + waiting − envoyActive − 1)
 * load   = (envoyActive + 1) / (envoyActive + 1 + unseen)
 * kv     = 1 / (1 + 4 × max(0, (kvCacheUsage − 0.8) / 0.2))
 * share  = 100 × load × kv, rounded by ratio to 100 halved 0 to 7 times: 100, 50, 25, 12, 6, 3 or 1
 * </pre>
 * <ul>
 * <li>Envoy's least-request scores an instance by weight / (its own requests in flight + 1). The
 * server knows its real load, running + waiting, which also counts requests Envoy did not send (other
 * routers, other clients). Scaling the weight by (envoyActive + 1) / (real load + 1) makes Envoy's
 * score weight / (real load + 1): least real load, not least load seen.</li>
 * <li>A KV cache above 80% full soon makes the server stop admitting or preempt; at 100% the share is
 * divided by 5.</li>
 * <li>Rounded to halvings, a weight changes only for a difference of about 1.4× or more, not for the
 * noise of two counts read a moment apart: while the servers report what Envoy sees, the weights stay
 * equal, so Envoy keeps its exact scan for the fewest requests in flight (any unequal weight switches
 * its least-request balancer to weighted earliest-deadline-first scheduling, which re-scores an
 * instance only when it is picked), and a session ring keeps its sessions in place (each weight
 * change moves sessions, whose prefix caches then start cold).</li>
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
        return halvings(share);
    }

    /** 100 halved as often as brings it nearest the share (by ratio), at least 1. */
    private static int halvings(double share) {
        if (!(share > 0)) {
            return 1;
        }
        long times = Math.max(0, Math.round(Math.log(LoadWeights.FULL / share) / Math.log(2)));
        return (int) Math.max(1, LoadWeights.FULL >> Math.min(times, 7));
    }
}
