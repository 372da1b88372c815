package org.jairouter.translate;

import com.google.protobuf.Duration;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small constructors for the protobuf values the translators use over and over. */
final class Protos {
    private Protos() {}

    static Duration seconds(long seconds) {
        return Duration.newBuilder().setSeconds(seconds).build();
    }

    static Duration duration(java.time.Duration duration) {
        return Duration.newBuilder()
                .setSeconds(duration.getSeconds())
                .setNanos(duration.getNano())
                .build();
    }

    static Value string(String value) {
        return Value.newBuilder().setStringValue(value).build();
    }

    static Struct struct(Map<String, Value> fields) {
        return Struct.newBuilder().putAllFields(fields).build();
    }

    /** A JSON object for a TypedStruct; keys sorted, so that the output is stable. */
    static Value object(Map<String, Value> fields) {
        return Value.newBuilder().setStructValue(struct(new TreeMap<>(fields))).build();
    }

    static Value list(List<Value> values) {
        return Value.newBuilder()
                .setListValue(ListValue.newBuilder().addAllValues(values))
                .build();
    }

    /** xDS resources come over the ADS stream the bootstrap opened. */
    static ConfigSource ads() {
        return ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3)
                .build();
    }
}
