package org.jairouter.config;

import org.yaml.snakeyaml.nodes.Node;

/** One YAML document of a config file: what {@link MergedTree} merges, and the file its problems name. */
record ConfigDocument(String source, Node root) {}
