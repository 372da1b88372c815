package org.jairouter.translate;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jairouter.ir.RouterIr;

/**
 * The translator for a running router: each translation reuses the parts of the last one whose inputs are
 * equal. A reload that changes one model of thousands makes that model's cluster, endpoints and service
 * routes again and hands back the very same objects for the others, so that the publisher recognises
 * them at once (protobuf memoises hash codes per object, and equals starts with identity) instead of
 * comparing them field by field. It holds one translation's worth of parts: those the next translation
 * does not use are dropped.
 *
 * <p>Inputs are compared by value. That stays cheap at 10,000 instances because a record's equals
 * starts with identity and the config loader hands back the same {@code Instance} object for an
 * instance whose text did not change; an equal instance that is another object costs a field-by-field
 * comparison, never a wrong answer. {@code IncrementalTranslatorTest} proves every translation equal to
 * one made from scratch.
 */
public final class IncrementalTranslator {
    private final Reuse reuse = new Reuse();

    /** As {@link EnvoyTranslator#translate(RouterIr, ResolvedHosts, LoadWeights, StatusEndpoint)}. */
    public synchronized EnvoyResources translate(
            RouterIr ir, ResolvedHosts hosts, LoadWeights load, StatusEndpoint status) {
        EnvoyResources resources = EnvoyTranslator.translate(ir, hosts, load, status, reuse);
        reuse.keepUsed();
        return resources;
    }

    /** A part and what it was made from. */
    private record Made(Object inputs, Object part) {}

    /**
     * Parts found by kind and name, then compared: hashing the inputs would walk every service setting
     * once per model.
     */
    private static final class Reuse implements Parts {
        private Map<String, Made> previous = new HashMap<>();
        private Map<String, Made> used = new HashMap<>();

        @Override
        @SuppressWarnings("unchecked") // a kind's parts are all made by one function, of one type
        public <I, V> V part(String kind, String name, I inputs, Function<I, V> make) {
            String key = kind + '\0' + name;
            Made made = used.get(key);
            if (made == null || !made.inputs().equals(inputs)) {
                made = previous.get(key);
            }
            if (made == null || !made.inputs().equals(inputs)) {
                made = new Made(inputs, make.apply(inputs));
            }
            used.put(key, made);
            return (V) made.part();
        }

        void keepUsed() {
            previous = used;
            used = new HashMap<>();
        }
    }
}
