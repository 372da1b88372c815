package org.jairouter.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What reading instances learnt, for the next read of the same file: the instance each block of text
 * became, when reading it reported no problem at all. A later text has each such block replaced by a
 * one-line placeholder (blank lines keep every other line where it was) before it is parsed, and the
 * instance reader answers a placeholder from here. Only a read of the placeholders that is clean in
 * every way stands: any problem, a placeholder read anywhere but as an instance, or one whose context
 * (service, adapter) differs sends the text to a full parse, so problems always come from the text as
 * written.
 */
final class InstanceMemo {
    /** The placeholder's tag: a text that holds it anywhere is never given placeholders. */
    static final String TAG = "!jairouter-remembered-instance";

    /** Reads that remember nothing: {@link ConfigLoader}'s plain parse. */
    static final InstanceMemo NONE = new InstanceMemo();

    /** An instance depends on its text and on what it inherits; environment placeholders are fixed per memo. */
    private record Key(ServiceType type, Adapter serviceAdapter, String text) {}

    private Map<Key, Instance> remembered = new HashMap<>();
    private Set<String> rememberedTexts = Set.of();
    private Map<Key, Instance> used = new HashMap<>();
    private ItemBlocks blocks;
    private List<String> placeholders = List.of();
    private int answered;
    private boolean unanswerable;

    /** The text with every remembered block replaced by a placeholder; empty when there is none to replace. */
    Optional<String> withPlaceholders(ItemBlocks text) {
        if (this == NONE || remembered.isEmpty() || text.text().contains(TAG)) {
            return Optional.empty();
        }
        StringBuilder replaced = new StringBuilder(text.text().length() / 4);
        List<String> replacedBlocks = new ArrayList<>();
        int copiedTo = 0;
        for (ItemBlocks.Block block : text.inOrder()) {
            if (block.from() < copiedTo || !rememberedTexts.contains(block.text())) {
                continue;
            }
            replaced.append(text.text(), copiedTo, block.from())
                    .append(block.indent())
                    .append("- ")
                    .append(TAG)
                    .append(' ')
                    .append(replacedBlocks.size())
                    .append("\n".repeat(block.lines()));
            replacedBlocks.add(block.text());
            copiedTo = block.to();
        }
        if (replacedBlocks.isEmpty()) {
            return Optional.empty();
        }
        replaced.append(text.text(), copiedTo, text.text().length());
        begin(text, replacedBlocks);
        return Optional.of(replaced.toString());
    }

    /** Starts a read of {@code text} as written: nothing is answered, clean instances are remembered. */
    void begin(ItemBlocks text) {
        begin(text, List.of());
    }

    private void begin(ItemBlocks text, List<String> replacedBlocks) {
        blocks = text;
        placeholders = replacedBlocks;
        used = new HashMap<>();
        answered = 0;
        unanswerable = false;
    }

    /** True when the read since {@link #withPlaceholders} answered every placeholder, each as an instance. */
    boolean answeredAll() {
        return !unanswerable && answered == placeholders.size();
    }

    /** Ends a read: what it used or learnt is what the next read may reuse. */
    void keepUsed() {
        if (this == NONE) {
            return;
        }
        remembered = used;
        rememberedTexts = used.keySet().stream().map(Key::text).collect(Collectors.toSet());
        used = new HashMap<>();
    }

    /** The instance an item is: remembered for a placeholder, otherwise read and, if clean, remembered. */
    Optional<Instance> instance(
            ServiceType type, Adapter serviceAdapter, YamlSection item, Supplier<Optional<Instance>> read) {
        OptionalInt placeholder = item.taggedIndex(TAG);
        if (placeholder.isPresent()) {
            int index = placeholder.getAsInt();
            return index < placeholders.size()
                    ? answer(new Key(type, serviceAdapter, placeholders.get(index)))
                    : unanswered();
        }
        int problemsBefore = item.problemCount();
        Optional<Instance> instance = read.get();
        if (this != NONE && instance.isPresent() && item.problemCount() == problemsBefore) {
            // Remembered only when the parser's item is exactly the candidate block of text.
            blocks.startingAt(item.startLine())
                    .filter(block ->
                            item.endLine() <= block.next() && !block.text().contains("*"))
                    .ifPresent(block -> used.put(new Key(type, serviceAdapter, block.text()), instance.get()));
        }
        return instance;
    }

    private Optional<Instance> answer(Key key) {
        Instance instance = remembered.get(key);
        if (instance == null) {
            return unanswered();
        }
        answered++;
        used.put(key, instance);
        return Optional.of(instance);
    }

    private Optional<Instance> unanswered() {
        unanswerable = true;
        return Optional.empty();
    }
}
