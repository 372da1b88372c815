package org.jairouter.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What reading instances learnt, for the next read of the same file: the instance each block of text
 * became, when reading it reported no problem at all. A later text has each run of such blocks (items
 * of one list, nothing but blank lines between them) replaced by a one-line placeholder (blank lines
 * keep every other line where it was) before it is parsed, and the instance reader answers a
 * placeholder with the run's instances from here: at 10,000 instances, composing one YAML node per
 * remembered instance was still most of a reload. Only a read of the placeholders that is clean in
 * every way stands: any problem, a placeholder read anywhere but as an instance, or one whose context
 * (service, adapter) differs sends the text to a full parse, so problems always come from the text as
 * written.
 */
final class InstanceMemo {
    /** The placeholder's tag: a text that holds it anywhere is never given placeholders. */
    static final String TAG = "!jairouter-remembered-instance";
    /** Between a placeholder's first block and its number of blocks. */
    private static final char RUN_SEPARATOR = ':';

    /** Reads that remember nothing: {@link ConfigLoader}'s plain parse. */
    static final InstanceMemo NONE = new InstanceMemo();

    /** An instance depends on its text and on what it inherits; environment placeholders are fixed per memo. */
    private record Key(ServiceType type, Adapter serviceAdapter, String text) {}

    /** A remembered instance, and the last read that used it. */
    private static final class Remembered {
        Instance instance;
        int usedBy;

        Remembered(Instance instance, int usedBy) {
            this.instance = instance;
            this.usedBy = usedBy;
        }
    }

    /** The text of remembered instances, and how many keys hold it. */
    private static final class RememberedText {
        final String text;
        int keys;

        RememberedText(String text) {
            this.text = text;
        }
    }

    private final Map<Key, Remembered> remembered = new HashMap<>();
    /**
     * The text of each remembered instance, found by an equal text: placeholders name these, so an
     * unchanged instance keeps its key from one read to the next instead of a copy cut from the new text.
     */
    private final Map<String, RememberedText> rememberedTexts = new HashMap<>();

    /** Numbers the reads: an entry no read since the last {@link #begin} used is dropped when it ends. */
    private int currentRead;

    private ItemBlocks blocks;
    private List<String> placeholders = List.of();
    private int answered;
    private boolean unanswerable;

    /** The text with every run of remembered blocks replaced by a placeholder; empty when there is none to replace. */
    Optional<String> withPlaceholders(ItemBlocks text) {
        if (this == NONE || remembered.isEmpty() || text.text().contains(TAG)) {
            return Optional.empty();
        }
        StringBuilder replaced = new StringBuilder(text.text().length() / 4);
        List<String> replacedBlocks = new ArrayList<>();
        ItemBlocks.Block runStart = null;
        ItemBlocks.Block runEnd = null;
        int runFirst = 0;
        int copiedTo = 0;
        for (ItemBlocks.Block block : text.inOrder()) {
            if (runEnd != null && block.from() < runEnd.to()) {
                continue;
            }
            RememberedText rememberedText = rememberedTexts.get(block.text());
            boolean remembered = rememberedText != null;
            if (runEnd != null && (!remembered || !sameList(text.text(), runEnd, block))) {
                copiedTo = placeholder(replaced, text.text(), copiedTo, runStart, runEnd, runFirst, replacedBlocks);
                runEnd = null;
            }
            if (block.from() < copiedTo || !remembered) {
                continue;
            }
            if (runEnd == null) {
                runStart = block;
                runFirst = replacedBlocks.size();
            }
            runEnd = block;
            replacedBlocks.add(rememberedText.text);
        }
        if (runEnd != null) {
            copiedTo = placeholder(replaced, text.text(), copiedTo, runStart, runEnd, runFirst, replacedBlocks);
        }
        if (replacedBlocks.isEmpty()) {
            return Optional.empty();
        }
        replaced.append(text.text(), copiedTo, text.text().length());
        begin(text, replacedBlocks);
        return Optional.of(replaced.toString());
    }

    /** True when {@code next} follows {@code last} in the same list: same indent, only blank lines between. */
    private static boolean sameList(String text, ItemBlocks.Block last, ItemBlocks.Block next) {
        if (next.indent() != last.indent() || next.from() < last.to()) {
            return false;
        }
        for (int i = last.to(); i < next.from(); i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Appends the text up to the run, then its placeholder and a line break per line of the run; returns
     * where the run ends.
     */
    private static int placeholder(
            StringBuilder replaced,
            String text,
            int copiedTo,
            ItemBlocks.Block first,
            ItemBlocks.Block last,
            int firstIndex,
            List<String> replacedBlocks) {
        replaced.append(text, copiedTo, first.from())
                .append(" ".repeat(first.indent()))
                .append("- ")
                .append(TAG)
                .append(' ')
                .append(firstIndex)
                .append(RUN_SEPARATOR)
                .append(replacedBlocks.size() - firstIndex)
                .append("\n".repeat(last.start() + last.lines() - first.start()));
        return last.to();
    }

    /** Starts a read of {@code text} as written: nothing is answered, clean instances are remembered. */
    void begin(ItemBlocks text) {
        begin(text, List.of());
    }

    private void begin(ItemBlocks text, List<String> replacedBlocks) {
        blocks = text;
        placeholders = replacedBlocks;
        currentRead++;
        answered = 0;
        unanswerable = false;
    }

    /** True when the read since {@link #withPlaceholders} answered every placeholder, each as an instance. */
    boolean answeredAll() {
        return !unanswerable && answered == placeholders.size();
    }

    /**
     * Makes this read count as not answered, so the text is read again as written: for a problem found
     * across items (an instance listed again), which would otherwise name a placeholder's line.
     */
    void readAsWritten() {
        if (this != NONE) {
            unanswerable = true;
        }
    }

    /** Ends a read: what it used or learnt is what the next read may reuse. */
    void keepUsed() {
        if (this == NONE) {
            return;
        }
        // One pass and no hashing: an unchanged instance keeps its entry (key, text, map node) from one read
        // to the next, so an edit at 10,000 instances leaves the old generation only what it changed.
        remembered.entrySet().removeIf(entry -> {
            if (entry.getValue().usedBy == currentRead) {
                return false;
            }
            RememberedText text = rememberedTexts.get(entry.getKey().text());
            if (--text.keys == 0) {
                rememberedTexts.remove(text.text);
            }
            return true;
        });
        // The read's text and blocks are garbage from here on, before the next edit's young collections.
        blocks = null;
        placeholders = List.of();
    }

    /** Records that this read used the instance: a new key is remembered from here on. */
    private void use(Key key, Instance instance) {
        Remembered known = remembered.get(key);
        if (known != null) {
            known.instance = instance;
            known.usedBy = currentRead;
            return;
        }
        RememberedText text = rememberedTexts.computeIfAbsent(key.text(), RememberedText::new);
        text.keys++;
        remembered.put(new Key(key.type(), key.serviceAdapter(), text.text), new Remembered(instance, currentRead));
    }

    /**
     * How many items of its list an item stands for: a placeholder of this read for all of its run, any
     * other item (and anything in a text read as written) for itself.
     */
    int itemsStoodFor(YamlSection item) {
        if (placeholders.isEmpty()) {
            return 1;
        }
        return item.tagged(TAG).flatMap(InstanceMemo::run).map(run -> run[1]).orElse(1);
    }

    /** The instances an item is: remembered for a placeholder, otherwise read and, if clean, remembered. */
    List<Instance> instances(
            ServiceType type, Adapter serviceAdapter, YamlSection item, Supplier<Optional<Instance>> read) {
        // Only a read with placeholders has any: in a text read as written, a tagged item is read like any other.
        Optional<String> tagged = placeholders.isEmpty() ? Optional.empty() : item.tagged(TAG);
        if (tagged.isPresent()) {
            Optional<int[]> run = tagged.flatMap(InstanceMemo::run);
            if (run.isEmpty() || run.get()[0] + run.get()[1] > placeholders.size()) {
                return unanswered();
            }
            List<Instance> instances = new ArrayList<>(run.get()[1]);
            for (int i = run.get()[0]; i < run.get()[0] + run.get()[1]; i++) {
                Remembered known = remembered.get(new Key(type, serviceAdapter, placeholders.get(i)));
                if (known == null) {
                    return unanswered();
                }
                known.usedBy = currentRead;
                instances.add(known.instance);
            }
            answered += instances.size();
            return instances;
        }
        int problemsBefore = item.problemCount();
        Optional<Instance> instance = read.get();
        if (this != NONE && instance.isPresent() && item.problemCount() == problemsBefore) {
            // Remembered only when the parser's item is exactly the candidate block of text.
            blocks.startingAt(item.startLine())
                    .filter(block ->
                            item.endLine() <= block.next() && !block.text().contains("*"))
                    .ifPresent(block -> use(new Key(type, serviceAdapter, block.text()), instance.get()));
        }
        return instance.map(List::of).orElse(List.of());
    }

    /** A placeholder's first block and number of blocks, from its text "FIRST:COUNT"; empty for any other text. */
    private static Optional<int[]> run(String placeholder) {
        int separator = placeholder.indexOf(RUN_SEPARATOR);
        try {
            int[] run = {
                Integer.parseInt(placeholder.substring(0, Math.max(0, separator))),
                Integer.parseInt(placeholder.substring(separator + 1))
            };
            return run[0] >= 0 && run[1] > 0 ? Optional.of(run) : Optional.empty();
        } catch (NumberFormatException notOurs) {
            return Optional.empty();
        }
    }

    private List<Instance> unanswered() {
        unanswerable = true;
        return List.of();
    }
}
