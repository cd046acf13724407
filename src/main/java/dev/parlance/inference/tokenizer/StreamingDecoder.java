package dev.parlance.inference.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids into text deltas, one token at a time, without ever emitting half a
 * character. Byte-level (GPT-2, Qwen, Llama 3) and byte-fallback (Llama 2) tokenizers can split one
 * character over several tokens; decoding them one by one would show U+FFFD. This decodes a short
 * window of recent ids twice (with and without the new ones), emits the difference only when it
 * does not end in U+FFFD, and then slides the window (the approach of transformers' TextStreamer
 * and text-generation-inference). Decoding a window rather than one token also keeps the
 * leading-space rules of SentencePiece tokenizers right. Special tokens are skipped.
 */
public final class StreamingDecoder {
    private static final int CONTEXT_TOKENS = 4;

    private final TextTokenizer tokenizer;
    private int[] ids;
    private int size;
    private int prefixOffset;
    private int readOffset;

    /**
     * @param context the last tokens before the answer (the prompt's tail), so the first answer
     *     token decodes with its leading space; only the tail is kept
     */
    public StreamingDecoder(TextTokenizer tokenizer, int[] context) {
        this.tokenizer = tokenizer;
        int keep = Math.min(CONTEXT_TOKENS, context.length);
        ids = Arrays.copyOfRange(context, context.length - keep, context.length + 64);
        size = keep;
        prefixOffset = 0;
        readOffset = keep;
    }

    /** Adds one token; returns the text it completes (possibly empty). */
    public String next(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[size++] = id;
        String before = tokenizer.decode(ids, prefixOffset, readOffset, true);
        String after = tokenizer.decode(ids, prefixOffset, size, true);
        if (after.length() > before.length() && !after.endsWith("\uFFFD") && after.startsWith(before)) {
            prefixOffset = readOffset;
            readOffset = size;
            return after.substring(before.length());
        }
        if (!after.startsWith(before) && !after.endsWith("\uFFFD")) {
            // a tokenizer rewrote earlier text (rare cleanup rules): restart the window here
            prefixOffset = size;
            readOffset = size;
            return "";
        }
        return "";
    }

    /** Text still held back at the end (an incomplete character, shown as the tokenizer decodes it). */
    public String finish() {
        String before = tokenizer.decode(ids, prefixOffset, readOffset, true);
        String after = tokenizer.decode(ids, prefixOffset, size, true);
        prefixOffset = readOffset = size;
        return after.length() > before.length() && after.startsWith(before) ? after.substring(before.length()) : "";
    }
}
