package org.jairouter.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits on a condition by polling it: tests never sleep a fixed time and hope. */
final class Conditions {
    private static final long POLL_MILLIS = 5;

    private Conditions() {
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
