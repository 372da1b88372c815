package org.jairouter.usage;

import java.util.Optional;
import org.jairouter.translate.AccessLogFields;

/** A keyed request's upstream stream, logged by Envoy's router as it starts ({@code RequestStarts.format}). */
record RequestStart(String keyId) {
    private static final String PREFIX = AccessLogFields.START_MARK + AccessLogFields.SEPARATOR;

    /** The start a text is, or none for any other text. */
    static Optional<RequestStart> parse(String text) {
        return text.startsWith(PREFIX)
                ? Optional.of(new RequestStart(text.substring(PREFIX.length())))
                : Optional.empty();
    }
}
