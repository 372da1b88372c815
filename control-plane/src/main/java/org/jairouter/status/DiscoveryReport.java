package org.jairouter.status;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.jairouter.ir.DiscoveringInstance;

/**
 * A {@code models: auto} instance in the status: where its server lists its models, the ones routed now (each
 * also an instance of its service's report), and why the latest list request failed, if it did.
 *
 * @param models  the models routed now; null until its server first answered
 * @param state   what it serves, in words
 * @param problem why the latest list request failed (the last list stays routed); null when it answered
 */
public record DiscoveryReport(
        String service,
        String baseUrl,
        URI modelsUrl,
        String status,
        List<String> models,
        String state,
        String problem) {

    static DiscoveryReport of(DiscoveringInstance auto, Optional<String> problem) {
        String status = auto.instance().active() ? "active" : "inactive";
        String state = !auto.instance().active()
                ? "inactive in the config: its server is not asked"
                : auto.models()
                        .map(models -> "serves the " + models.size() + " model(s) its server listed last")
                        .orElse("serves no model until its server first answers GET " + auto.modelsUrl());
        return new DiscoveryReport(
                auto.service().key(),
                auto.instance().baseUrl(),
                auto.modelsUrl(),
                status,
                auto.models().orElse(null),
                state,
                problem.orElse(null));
    }
}
