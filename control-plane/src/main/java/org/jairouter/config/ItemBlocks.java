package org.jairouter.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The blocks of a YAML text that may be items of a block sequence: a line that starts, after its
 * indentation, with {@code "- "}, and the lines below it indented deeper (blank lines in between
 * included, trailing ones not). Found from the text alone, so a block is only a candidate: whether it
 * really is one item is what the parser says, and {@link InstanceMemo} trusts nothing else.
 */
final class ItemBlocks {
    /** A candidate item: its lines from {@code start} (0-based), and {@code next}, the first line after it that is not blank. */
    record Block(int start, int lines, int next, int from, int to, String indent, String text) {}

    private final String text;
    private final List<Block> inOrder = new ArrayList<>();
    private final Map<Integer, Block> byStart = new HashMap<>();

    private ItemBlocks(String text) {
        this.text = text;
    }

    static ItemBlocks of(String text) {
        ItemBlocks blocks = new ItemBlocks(text);
        String[] lines = text.split("\n", -1);
        int[] offsets = new int[lines.length + 1];
        for (int i = 0; i < lines.length; i++) {
            offsets[i + 1] = offsets[i] + lines[i].length() + 1;
        }
        for (int start = 0; start < lines.length; start++) {
            int indent = itemIndent(lines[start]);
            if (indent < 0) {
                continue;
            }
            int last = start;
            int next = start + 1;
            while (next < lines.length && (lines[next].isBlank() || indentOf(lines[next]) > indent)) {
                if (!lines[next].isBlank()) {
                    last = next;
                }
                next++;
            }
            int from = offsets[start];
            int to = Math.min(text.length(), offsets[last + 1]);
            Block block = new Block(
                    start,
                    last - start + 1,
                    next,
                    from,
                    to,
                    lines[start].substring(0, indent),
                    text.substring(from, to));
            blocks.inOrder.add(block);
            blocks.byStart.put(start, block);
        }
        return blocks;
    }

    Optional<Block> startingAt(int line) {
        return Optional.ofNullable(byStart.get(line));
    }

    String text() {
        return text;
    }

    /** The candidates in text order, outer blocks before the blocks nested in them. */
    List<Block> inOrder() {
        return inOrder;
    }

    /** The column of the dash when the line starts a sequence item with content on the same line, else -1. */
    private static int itemIndent(String line) {
        int indent = indentOf(line);
        boolean item = line.startsWith("- ", indent)
                && line.length() > indent + 2
                && line.charAt(indent + 2) != ' '
                && line.charAt(indent + 2) != '#';
        return item ? indent : -1;
    }

    private static int indentOf(String line) {
        int indent = 0;
        while (indent < line.length() && line.charAt(indent) == ' ') {
            indent++;
        }
        return indent;
    }
}
