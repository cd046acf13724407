package dev.parlance.chat;

/**
 * Separates a reasoning model's {@code <think>…</think>} block from its answer while the answer
 * streams in, so the UI can fold the reasoning away.
 *
 * <p>Deltas may split a tag anywhere ({@code "<th"}, {@code "ink>"}): text that could still become
 * a tag is held back until the next delta decides it. Three shapes are handled: an answer that
 * starts with {@code <think>}; a prompt that already opened {@code <think>} (DeepSeek-R1 and QwQ
 * templates end the generation prompt with {@code "<think>\n"}, so the model writes only the
 * closing tag, see {@link #forPrompt}); and an answer with no reasoning at all, which passes
 * through unchanged. Whitespace around the reasoning and between {@code </think>} and the answer
 * is dropped. Not thread-safe: feed it from the one thread that decodes.
 */
public final class ReasoningSplitter {
    private static final String OPEN = "<think>";
    private static final String CLOSE = "</think>";

    /**
     * What one delta contributed.
     *
     * @param reasoning new reasoning text (may be empty)
     * @param answer new answer text (may be empty)
     */
    public record Delta(String reasoning, String answer) {
        static final Delta EMPTY = new Delta("", "");

        public boolean isEmpty() {
            return reasoning.isEmpty() && answer.isEmpty();
        }
    }

    private enum State { START, REASONING, ANSWER }

    private State state;
    private boolean atSectionStart = true;
    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder answer = new StringBuilder();

    /**
     * @param insideReasoning true when the prompt already opened a {@code <think>} block
     */
    public ReasoningSplitter(boolean insideReasoning) {
        this.state = insideReasoning ? State.REASONING : State.START;
    }

    /** A splitter for an answer to this rendered prompt: inside reasoning if the prompt left {@code <think>} open. */
    public static ReasoningSplitter forPrompt(String renderedPrompt) {
        return new ReasoningSplitter(renderedPrompt.lastIndexOf(OPEN) > renderedPrompt.lastIndexOf(CLOSE));
    }

    /** Feeds the next piece of decoded text and returns what it adds to the reasoning and the answer. */
    public Delta accept(String delta) {
        pending.append(delta);
        StringBuilder newReasoning = new StringBuilder();
        StringBuilder newAnswer = new StringBuilder();
        boolean progressed = true;
        while (progressed && pending.length() > 0) {
            progressed = step(newReasoning, newAnswer);
        }
        return record(newReasoning, newAnswer);
    }

    /** Ends the stream: text held back as a possible tag is released where it belongs. */
    public Delta finish() {
        StringBuilder newReasoning = new StringBuilder();
        StringBuilder newAnswer = new StringBuilder();
        if (state == State.REASONING) {
            emit(newReasoning, pending.toString().stripTrailing());
        } else if (state == State.START) {
            newAnswer.append(pending);
        }
        pending.setLength(0);
        return record(newReasoning, newAnswer);
    }

    /** All reasoning so far, without the tags. */
    public String reasoning() {
        return reasoning.toString();
    }

    /** All answer text so far. */
    public String answer() {
        return answer.toString();
    }

    /** Consumes what it can of {@code pending}; false when it must wait for more text. */
    private boolean step(StringBuilder newReasoning, StringBuilder newAnswer) {
        String text = pending.toString();
        switch (state) {
            case START: {
                String trimmed = text.stripLeading();
                if (trimmed.startsWith(OPEN)) {
                    pending.setLength(0);
                    pending.append(trimmed.substring(OPEN.length()));
                    state = State.REASONING;
                    atSectionStart = true;
                    return true;
                }
                if (OPEN.startsWith(trimmed)) {
                    return false;
                }
                // no reasoning block: the answer is the text as written
                state = State.ANSWER;
                atSectionStart = false;
                return true;
            }
            case REASONING: {
                int close = text.indexOf(CLOSE);
                if (close >= 0) {
                    emit(newReasoning, text.substring(0, close).stripTrailing());
                    pending.setLength(0);
                    pending.append(text.substring(close + CLOSE.length()));
                    state = State.ANSWER;
                    atSectionStart = true;
                    return true;
                }
                // hold back a possible "</think>" start and the whitespace before it, which is
                // dropped if the block closes right after it
                int keep = partialTagLength(text, CLOSE);
                while (keep < text.length() && Character.isWhitespace(text.charAt(text.length() - keep - 1))) {
                    keep++;
                }
                emit(newReasoning, text.substring(0, text.length() - keep));
                pending.delete(0, text.length() - keep);
                return false;
            }
            default:
                emit(newAnswer, text);
                pending.setLength(0);
                return false;
        }
    }

    /** Appends section text, dropping whitespace at the start of a section. */
    private void emit(StringBuilder target, String text) {
        String t = atSectionStart ? text.stripLeading() : text;
        if (!t.isEmpty()) {
            atSectionStart = false;
            target.append(t);
        }
    }

    /** The length of the longest suffix of text that is a proper prefix of tag. */
    private static int partialTagLength(String text, String tag) {
        for (int n = Math.min(tag.length() - 1, text.length()); n > 0; n--) {
            if (text.endsWith(tag.substring(0, n))) {
                return n;
            }
        }
        return 0;
    }

    private Delta record(StringBuilder newReasoning, StringBuilder newAnswer) {
        if (newReasoning.length() == 0 && newAnswer.length() == 0) {
            return Delta.EMPTY;
        }
        reasoning.append(newReasoning);
        answer.append(newAnswer);
        return new Delta(newReasoning.toString(), newAnswer.toString());
    }
}
