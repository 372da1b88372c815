package org.jairouter.deploy;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/** Waits for a condition by polling it, so that no test sleeps a fixed time and hopes. */
final class Await {
    private static final long POLL_MILLIS = 50;

    /** One look at the condition: a value once it holds; an IOException means "not yet" (a port not up). */
    @FunctionalInterface
    interface Check<T> {
        Optional<T> look() throws Exception;
    }

    private Await() {
    }

    static <T> T until(String what, Duration timeout, Check<T> check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException lastFailure = null;
        while (true) {
            try {
                Optional<T> value = check.look();
                if (value.isPresent()) {
                    return value.get();
                }
            } catch (IOException notYet) {
                lastFailure = notYet;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + timeout.toSeconds() + " s"
                        + (lastFailure == null ? "" : "; last failure: " + lastFailure), lastFailure);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
