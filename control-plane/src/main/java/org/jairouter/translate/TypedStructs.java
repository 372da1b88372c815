package org.jairouter.translate;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.List;

/**
 * Configs of Envoy extensions (and fields) newer than the 1.34 API classes we build with. Envoy reads an
 * {@code xds.type.v3.TypedStruct} as the named message written as JSON; the parts that do have classes
 * are built typed and converted, so only the new field names are written by hand.
 */
final class TypedStructs {
    private static final String TYPE_URL_PREFIX = "type.googleapis.com/";

    private TypedStructs() {}

    static Any of(String messageType, Struct value) {
        return Any.pack(TypedStruct.newBuilder()
                .setTypeUrl(TYPE_URL_PREFIX + messageType)
                .setValue(value)
                .build());
    }

    /** The same inside another TypedStruct: an Any written as JSON, whose type is named by "@type". */
    static Value nested(String messageType, Struct value) {
        return Value.newBuilder()
                .setStructValue(Struct.newBuilder()
                        .putFields(
                                "@type",
                                Protos.string(TYPE_URL_PREFIX
                                        + TypedStruct.getDescriptor().getFullName()))
                        .putFields("type_url", Protos.string(TYPE_URL_PREFIX + messageType))
                        .putFields(
                                "value",
                                Value.newBuilder().setStructValue(value).build()))
                .build();
    }

    static Value value(Struct struct) {
        return Value.newBuilder().setStructValue(struct).build();
    }

    static Value list(List<Value> values) {
        return Value.newBuilder()
                .setListValue(ListValue.newBuilder().addAllValues(values))
                .build();
    }

    /** A typed message as the JSON object Envoy would read for it. */
    static Struct struct(MessageOrBuilder message) {
        try {
            Struct.Builder struct = Struct.newBuilder();
            JsonFormat.parser()
                    .merge(JsonFormat.printer().preservingProtoFieldNames().print(message), struct);
            return struct.build();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(
                    "cannot convert " + message.getClass().getSimpleName(), e);
        }
    }
}
