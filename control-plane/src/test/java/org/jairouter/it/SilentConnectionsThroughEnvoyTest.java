package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/** A client that connects and never sends a request does not hold its connection for the 300 s idle timeout. */
class SilentConnectionsThroughEnvoyTest {
    /** Far below the 300 s connection idle timeout, far above the 10 s a new connection has. */
    private static final Duration WELL_BEFORE_IDLE_TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aConnectionThatSendsNothingIsClosed() throws Exception {
        try (StubBackend backend = StubBackend.start("chat");
                RouterHarness router = RouterHarness.start(RouterHarness.oneChatInstance(backend.baseUrl()));
                Socket silent = new Socket(
                        InetAddress.getLoopbackAddress(),
                        URI.create(router.baseUrl()).getPort())) {
            silent.setSoTimeout((int) WELL_BEFORE_IDLE_TIMEOUT.toMillis());
            InputStream in = silent.getInputStream();

            assertEquals(-1, in.read(), "the router sent bytes to a connection that sent none");
        }
    }
}
