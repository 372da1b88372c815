package org.jairouter.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Envoys connected to this control plane, each with the last config it rejected (a NACK).
 * Kept by the xDS server, which alone changes it; the status output reads it.
 */
public final class EnvoyFleet {
    /** One connected Envoy. {@code lastRejection} is null while it accepts everything it is sent. */
    public record Member(String nodeId, Instant connectedAt, Rejection lastRejection) {
    }

    public record Rejection(Instant at, String resourceType, String message) {
    }

    private final Map<Long, Member> byStream = new ConcurrentHashMap<>();

    /** The first request of a stream names its node (the bootstrap sends the node once). */
    void connected(long streamId, Node node) {
        byStream.putIfAbsent(streamId, new Member(node.getId(), Instant.now(), null));
    }

    /** Records a rejection; returns the node id of the Envoy that rejected, for the log. */
    String rejected(long streamId, String resourceType, String message) {
        Member member = byStream.computeIfPresent(streamId, (id, known) ->
                new Member(known.nodeId(), known.connectedAt(), new Rejection(Instant.now(), resourceType, message)));
        return member == null ? "(unknown node)" : member.nodeId();
    }

    void disconnected(long streamId) {
        byStream.remove(streamId);
    }

    public List<Member> members() {
        return byStream.values().stream().sorted(Comparator.comparing(Member::nodeId)).toList();
    }
}
