package org.jairouter.config;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Several YAML documents merged the way Spring Boot merges property sources, so that the readers see
 * one tree: a later document overrides an earlier one key by key, mappings merge deeply, and a list
 * or a value replaces what was there whole (Spring binds a list from the one source that sets it).
 * Keys compare as Spring's relaxed binding does ({@code baseUrl} is {@code base-url}). The merged
 * tree is made of the documents' own nodes wherever one document alone sets a value, and every node
 * remembers its file, so a problem is reported at the line of the file the key is in.
 */
record MergedTree(Node root, Map<Node, String> sources) {

    /** @param documents lowest precedence first; at least one */
    static MergedTree of(List<ConfigDocument> documents) {
        Map<Node, String> sources = new IdentityHashMap<>();
        Node root = null;
        for (ConfigDocument document : documents) {
            remember(document.root(), document.source(), sources);
            root = root == null ? document.root() : merge(root, document.root(), sources);
        }
        return new MergedTree(root, sources);
    }

    private static Node merge(Node base, Node overlay, Map<Node, String> sources) {
        if (!(base instanceof MappingNode baseMap) || !(overlay instanceof MappingNode overlayMap)) {
            return overlay;
        }
        List<NodeTuple> tuples = new ArrayList<>(baseMap.getValue());
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < tuples.size(); i++) {
            int position = i;
            keyOf(tuples.get(i)).ifPresent(k -> firstIndex.putIfAbsent(k, position));
        }
        Set<String> overlaid = new HashSet<>();
        for (NodeTuple tuple : overlayMap.getValue()) {
            String key = keyOf(tuple).orElse(null);
            Integer at = key == null ? null : firstIndex.get(key);
            // A key twice in one document stays twice, for the readers to report as in a single file.
            if (at == null || !overlaid.add(key)) {
                tuples.add(tuple);
                continue;
            }
            NodeTuple existing = tuples.get(at);
            tuples.set(
                    at,
                    new NodeTuple(tuple.getKeyNode(), merge(existing.getValueNode(), tuple.getValueNode(), sources)));
        }
        MappingNode merged = new MappingNode(
                baseMap.getTag(), true, tuples, baseMap.getStartMark(), baseMap.getEndMark(), baseMap.getFlowStyle());
        sources.put(merged, sources.get(baseMap));
        return merged;
    }

    private static Optional<String> keyOf(NodeTuple tuple) {
        return tuple.getKeyNode() instanceof ScalarNode key
                ? Optional.of(YamlSection.kebabCase(key.getValue()))
                : Optional.empty();
    }

    private static void remember(Node root, String source, Map<Node, String> sources) {
        Deque<Node> pending = new ArrayDeque<>(List.of(root));
        while (!pending.isEmpty()) {
            Node node = pending.pop();
            if (sources.put(node, source) != null) {
                continue; // an alias: already seen
            }
            if (node instanceof MappingNode mapping) {
                mapping.getValue().forEach(t -> {
                    pending.push(t.getKeyNode());
                    pending.push(t.getValueNode());
                });
            } else if (node instanceof SequenceNode sequence) {
                sequence.getValue().forEach(pending::push);
            }
        }
    }
}
