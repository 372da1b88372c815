/**
 * The router as Envoy is to run it: one model computed once per validated config, between {@code config}
 * and {@code translate}. It holds what more than one stage needs and would otherwise derive again: per
 * service and model the Envoy names chosen (the model's cluster, the cluster its route sends to, its
 * saturation gate), the fallback chain, the gates, the active instances and the endpoint each instance is
 * reported under. Its inputs are the validated config and what the servers of its {@code models: auto}
 * instances list ({@link org.jairouter.ir.DiscoveredModels}, read by {@code discovery/ModelDiscovery}): each
 * such instance becomes one instance per listed model, so that every reader sees discovered models as
 * configured ones.
 *
 * <p>Who reads it: the translator ({@code translate}, IR → xDS, one small class per Envoy feature), the
 * status reports, the metrics' labels and the load scraper. None of them decides a name or a chain itself;
 * a new decision that several of them need is a field here, computed in {@link
 * org.jairouter.ir.RouterIr#of}, and shown in each golden case's {@code ir.json}.
 */
package org.jairouter.ir;
