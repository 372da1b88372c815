package org.jairouter.config;

import java.util.Optional;
import java.util.Set;

/** {@code model.tls}: how https instances' certificates are verified. */
final class TlsReader {
    private TlsReader() {}

    static Optional<String> caFile(YamlSection tls) {
        return Optional.ofNullable(tls.entries(Set.of("ca-file"), Set.of()).get("ca-file"))
                .flatMap(YamlSection::text);
    }
}
