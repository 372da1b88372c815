package org.jairouter.translate;

import java.util.function.Function;

/**
 * The translator's one seam for reuse. Each part it makes per model or per service (a cluster, its
 * endpoints, a service's routes) is made by a function of a record of values, the part's inputs; a {@code
 * Parts} hands back either what that function makes of them or a part it made before from equal inputs,
 * which is the same value. So the translation is a pure function of its arguments whichever {@code Parts}
 * it is given: {@link #FRESH} makes every part, {@link IncrementalTranslator} reuses the parts of its last
 * translation.
 */
interface Parts {
    /**
     * @param kind   what sort of part (one namespace of names per kind)
     * @param name   the part's name, unique within its kind in one translation
     * @param inputs everything {@code make} reads, compared by value
     */
    <I, V> V part(String kind, String name, I inputs, Function<I, V> make);

    Parts FRESH = new Parts() {
        @Override
        public <I, V> V part(String kind, String name, I inputs, Function<I, V> make) {
            return make.apply(inputs);
        }
    };
}
