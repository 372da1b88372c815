package org.jairouter.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The blocks of a YAML text that may be items of a block sequence: a line that starts, after its
 * indentation, with {@code "- "}, and the lines below it indented deeper (blank lines in between
 * included, trailing ones not). Found from the text alone, so a block is only a candidate: whether it
 * really is one item is what the parser says, and {@link InstanceMemo} trusts nothing else.
 */
final class ItemBlocks {
    /**
     * A candidate item: its lines from {@code start} (0-based), {@code next}, the first line after it that
     * is not blank, and the column of its dash.
     */
    record Block(int start, int lines, int next, int from, int to, int indent, String text) {}

    private final String text;
    private final List<Block> inOrder = new ArrayList<>();
    /** Indexed by line: the block that starts there, or null. */
    private final Block[] byStart;

    private ItemBlocks(String text, int lines) {
        this.text = text;
        this.byStart = new Block[lines];
    }

    static ItemBlocks of(String text) {
        // Where each line starts, the last entry one past the text's end: no String per line (at 10,000
        // instances those were a good part of what a reload allocated).
        int[] offsets = lineOffsets(text);
        int lineCount = offsets.length - 1;
        ItemBlocks blocks = new ItemBlocks(text, lineCount);
        for (int start = 0; start < lineCount; start++) {
            int indent = itemIndent(text, offsets[start], offsets[start + 1] - 1);
            if (indent < 0) {
                continue;
            }
            int last = start;
            int next = start + 1;
            while (next < lineCount) {
                int from = offsets[next];
                int end = offsets[next + 1] - 1;
                boolean blank = isBlank(text, from, end);
                if (!blank && indentOf(text, from, end) <= indent) {
                    break;
                }
                if (!blank) {
                    last = next;
                }
                next++;
            }
            int from = offsets[start];
            int to = Math.min(text.length(), offsets[last + 1]);
            Block block = new Block(start, last - start + 1, next, from, to, indent, text.substring(from, to));
            blocks.inOrder.add(block);
            blocks.byStart[start] = block;
        }
        return blocks;
    }

    /** The offset of each line's first character, and one past the end of the text (as if it ended in a line break). */
    private static int[] lineOffsets(String text) {
        int lines = 1;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
            lines++;
        }
        int[] offsets = new int[lines + 1];
        int line = 1;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
            offsets[line++] = i + 1;
        }
        offsets[lines] = text.length() + 1;
        return offsets;
    }

    Optional<Block> startingAt(int line) {
        return line >= 0 && line < byStart.length ? Optional.ofNullable(byStart[line]) : Optional.empty();
    }

    String text() {
        return text;
    }

    /** The candidates in text order, outer blocks before the blocks nested in them. */
    List<Block> inOrder() {
        return inOrder;
    }

    /**
     * The column of the dash when the line from {@code from} to {@code end} (its break excluded) starts a
     * sequence item with content on the same line, else -1.
     */
    private static int itemIndent(String text, int from, int end) {
        int indent = indentOf(text, from, end);
        int dash = from + indent;
        boolean item = dash + 2 < end
                && text.startsWith("- ", dash)
                && text.charAt(dash + 2) != ' '
                && text.charAt(dash + 2) != '#';
        return item ? indent : -1;
    }

    private static int indentOf(String text, int from, int end) {
        int indent = 0;
        while (from + indent < end && text.charAt(from + indent) == ' ') {
            indent++;
        }
        return indent;
    }

    /** As {@link String#isBlank()} of the line from {@code from} to {@code end}. */
    private static boolean isBlank(String text, int from, int end) {
        for (int i = from; i < end; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
