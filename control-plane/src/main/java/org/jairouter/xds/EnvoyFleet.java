package org.jairouter.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Envoys connected to this control plane, each with the resource versions it accepted (ACKs) and
 * the last config it rejected (a NACK). Kept by the xDS server, which alone changes it; the status
 * output reads it.
 */
public final class EnvoyFleet {
    /** Versions remembered per resource type: enough to find the last config an Envoy took whole. */
    private static final int REMEMBERED_VERSIONS = 32;

    /**
     * One connected Envoy. {@code lastRejection} is null while it accepts everything it is sent.
     *
     * @param accepted per resource type URL, the versions it acknowledged, newest last
     */
    public record Member(
            String nodeId, Instant connectedAt, Map<String, List<String>> accepted, Rejection lastRejection) {
        /**
         * True when the newest version this Envoy acknowledged of each type is the one given: it holds that
         * config now. (Versions are digests of content, so a config toggled back has a version the Envoy
         * acknowledged before: having acknowledged it once says nothing of now.)
         */
        public boolean holds(Map<String, String> typeVersions) {
            return !typeVersions.isEmpty()
                    && typeVersions.entrySet().stream().allMatch(type -> {
                        List<String> versions = accepted.getOrDefault(type.getKey(), List.of());
                        return !versions.isEmpty()
                                && versions.get(versions.size() - 1).equals(type.getValue());
                    });
        }

        /** True when this Envoy acknowledged every one of these type versions. */
        public boolean acceptedAll(Map<String, String> typeVersions) {
            return !typeVersions.isEmpty()
                    && typeVersions.entrySet().stream()
                            .allMatch(type -> accepted.getOrDefault(type.getKey(), List.of())
                                    .contains(type.getValue()));
        }
    }

    public record Rejection(Instant at, String resourceType, String message) {}

    private final Map<Long, Member> byStream = new ConcurrentHashMap<>();
    private final AtomicLong rejections = new AtomicLong();
    private volatile Runnable membershipListener = () -> {};

    /** Called (on an xDS thread, so it must not block) whenever an Envoy connects or disconnects. */
    public void onMembershipChange(Runnable listener) {
        membershipListener = listener;
    }

    /** The first request of a stream names its node (the bootstrap sends the node once). */
    void connected(long streamId, Node node) {
        if (byStream.putIfAbsent(streamId, new Member(node.getId(), Instant.now(), Map.of(), null)) == null) {
            membershipListener.run();
        }
    }

    /** Records an acknowledgement: the Envoy applied this version of the type. */
    void accepted(long streamId, String typeUrl, String version) {
        byStream.computeIfPresent(streamId, (id, known) -> {
            Map<String, List<String>> accepted = new HashMap<>(known.accepted());
            List<String> versions = new ArrayList<>(accepted.getOrDefault(typeUrl, List.of()));
            versions.remove(version);
            versions.add(version);
            accepted.put(
                    typeUrl,
                    List.copyOf(versions.subList(Math.max(0, versions.size() - REMEMBERED_VERSIONS), versions.size())));
            return new Member(known.nodeId(), known.connectedAt(), Map.copyOf(accepted), known.lastRejection());
        });
    }

    /** Records a rejection; returns the node id of the Envoy that rejected, for the log. */
    String rejected(long streamId, String resourceType, String message) {
        rejections.incrementAndGet();
        Member member = byStream.computeIfPresent(
                streamId,
                (id, known) -> new Member(
                        known.nodeId(),
                        known.connectedAt(),
                        known.accepted(),
                        new Rejection(Instant.now(), resourceType, message)));
        return member == null ? "(unknown node)" : member.nodeId();
    }

    void disconnected(long streamId) {
        if (byStream.remove(streamId) != null) {
            membershipListener.run();
        }
    }

    /** Configs rejected by any Envoy since the start. */
    public long rejections() {
        return rejections.get();
    }

    public List<Member> members() {
        return byStream.values().stream()
                .sorted(Comparator.comparing(Member::nodeId))
                .toList();
    }
}
