package org.jairouter.ir;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceType;

/**
 * A {@code models: auto} instance and what its server listed: the router model serves each listed model as if
 * the config named it on this instance.
 *
 * @param service   the service it is an instance of
 * @param instance  the instance as configured (its model empty)
 * @param modelsUrl where its server lists its models: OpenAI's {@code GET /models} beside the service path
 * @param models    the models it serves now; empty until its server first answered
 */
public record DiscoveringInstance(
        ServiceType service, Instance instance, URI modelsUrl, Optional<List<String>> models) {

    public DiscoveringInstance {
        models = models.map(List::copyOf);
    }

    static DiscoveringInstance of(ServiceType service, Instance instance, DiscoveredModels discovered) {
        URI url = modelsUrl(service, instance);
        return new DiscoveringInstance(service, instance, url, discovered.at(url));
    }

    /**
     * The models path beside the instance's service path ({@code /v1-openai/chat/completions} gives {@code
     * /v1-openai/models}); {@code /v1/models} under the base-url when its path is not OpenAI's.
     */
    private static URI modelsUrl(ServiceType service, Instance instance) {
        String path = service.modelsPathBeside(instance.upstreamPath()).orElse(instance.basePath() + "/v1/models");
        return URI.create((instance.tls() ? "https://" : "http://") + instance.authority() + path);
    }
}
