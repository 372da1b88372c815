package org.jairouter.deploy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jairouter.config.ServiceType;
import org.jairouter.fixtures.StubBackend;

/** The {@code model:} section of a JAiRouter config, written from a list of what serves which model. */
final class ModelConfig {
    /** One instance: a model of a service, served by a stub backend. */
    record Served(ServiceType service, String model, StubBackend backend) {}

    private ModelConfig() {}

    /** Each of the seven services with one model, named {@code model-<service key>}, all on one backend. */
    static List<Served> everyService(StubBackend backend) {
        return ServiceType.builtIn().stream()
                .map(service -> new Served(service, modelOf(service), backend))
                .toList();
    }

    static String modelOf(ServiceType service) {
        return "model-" + service.key();
    }

    static String yaml(List<Served> instances) {
        Map<String, List<Served>> byService = new TreeMap<>(instances.stream()
                .collect(Collectors.groupingBy(served -> served.service().key())));
        StringBuilder yaml = new StringBuilder("model:\n  services:\n");
        byService.forEach((service, served) -> {
            yaml.append("    ").append(service).append(":\n      instances:\n");
            served.forEach(instance -> yaml.append("        - name: \"")
                    .append(instance.model())
                    .append("\"\n")
                    .append("          base-url: \"")
                    .append(instance.backend().baseUrl())
                    .append("\"\n"));
        });
        return yaml.toString();
    }
}
