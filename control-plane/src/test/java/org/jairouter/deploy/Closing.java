package org.jairouter.deploy;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Closes everything a test started, in order, even when something fails to close: no process is left behind. */
final class Closing {
    private Closing() {}

    /** Nulls (what never started) are passed over; the first failure is thrown after all are closed. */
    static void all(AutoCloseable... parts) throws Exception {
        all(Arrays.asList(parts));
    }

    static void all(List<? extends AutoCloseable> parts) throws Exception {
        Exception failure = null;
        for (AutoCloseable part : parts.stream().filter(Objects::nonNull).toList()) {
            try {
                part.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
