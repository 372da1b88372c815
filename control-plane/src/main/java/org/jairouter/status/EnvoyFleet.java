package org.jairouter.status;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Envoys connected to this control plane, each with the last config it rejected (a NACK).
 * Fed by the xDS server; read by the status output.
 */
public final class EnvoyFleet {
    /** One connected Envoy. {@code lastRejection} is null while it accepts everything it is sent. */
    public record Member(String nodeId, Instant connectedAt, Rejection lastRejection) {
    }

    public record Rejection(Instant at, String resourceType, String message) {
    }

    private final Map<Long, Member> byStream = new ConcurrentHashMap<>();
    private final AtomicLong rejections = new AtomicLong();

    /** The first request of a stream names its node (the bootstrap sends the node once). */
    public void connected(long streamId, Node node) {
        byStream.putIfAbsent(streamId, new Member(node.getId(), Instant.now(), null));
    }

    /** Records a rejection; returns the node id of the Envoy that rejected, for the log. */
    public String rejected(long streamId, String resourceType, String message) {
        rejections.incrementAndGet();
        Member member = byStream.computeIfPresent(streamId, (id, known) ->
                new Member(known.nodeId(), known.connectedAt(), new Rejection(Instant.now(), resourceType, message)));
        return member == null ? "(unknown node)" : member.nodeId();
    }

    public void disconnected(long streamId) {
        byStream.remove(streamId);
    }

    /** Configs rejected by any Envoy since the start. */
    public long rejections() {
        return rejections.get();
    }

    public List<Member> members() {
        return byStream.values().stream().sorted(Comparator.comparing(Member::nodeId)).toList();
    }
}
