package org.jairouter.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Where a service's requests name their model: a field of a JSON body or of a multipart form, a query
 * parameter, or a header. The seven built-in services read the body's {@code model}; a custom service
 * ({@code model-from}) may read any of them.
 *
 * @param name the field, parameter or header name (a header's in lower case)
 */
public record ModelSource(Kind kind, String name) {
    public static final ModelSource JSON_MODEL = new ModelSource(Kind.JSON, "model");
    public static final ModelSource MULTIPART_MODEL = new ModelSource(Kind.MULTIPART, "model");

    /** The field OpenAI's APIs name the model in. */
    private static final String MODEL = "model";

    public enum Kind {
        JSON,
        MULTIPART,
        QUERY,
        HEADER;

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ModelSource {
        name = kind == Kind.HEADER ? name.toLowerCase(Locale.ROOT) : name;
    }

    /** True when the model is in the body, which must then be read (buffered) before the request is routed. */
    public boolean inBody() {
        return kind == Kind.JSON || kind == Kind.MULTIPART;
    }

    /** True for a body's {@code model}: the readers every built-in service shares. */
    public boolean isModelField() {
        return inBody() && name.equals(MODEL);
    }

    /**
     * {@code json}, {@code json:<field>}, {@code multipart}, {@code multipart:<field>}, {@code query:<name>} or
     * {@code header:<name>}; empty for anything else. A body's field defaults to {@code model}.
     */
    static Optional<ModelSource> parse(String text) {
        int colon = text.indexOf(':');
        String kindText = colon < 0 ? text : text.substring(0, colon);
        Optional<Kind> kind = java.util.Arrays.stream(Kind.values())
                .filter(k -> k.key().equals(kindText))
                .findFirst();
        if (kind.isEmpty()) {
            return Optional.empty();
        }
        String name = colon < 0 ? "" : text.substring(colon + 1);
        if (name.isEmpty() && kind.get() != Kind.JSON && kind.get() != Kind.MULTIPART) {
            return Optional.empty();
        }
        name = name.isEmpty() ? MODEL : name;
        // A name Envoy's matchers and the readers take as it is: no quoting, no pattern characters.
        return name.matches("[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
                ? Optional.of(new ModelSource(kind.get(), name))
                : Optional.empty();
    }

    /** As the config writes it. */
    @Override
    public String toString() {
        return kind.key() + ":" + name;
    }
}
