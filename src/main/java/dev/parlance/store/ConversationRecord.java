package dev.parlance.store;

import java.time.Instant;

/** A stored conversation's header. */
public record ConversationRecord(
        String id, String title, Instant created, Instant updated, String model, ConversationSettings settings) {

    /** About how many characters of a message's first line make a title. */
    static final int TITLE_LENGTH = 60;

    /**
     * The one rule for naming a conversation after a message (the first one sent, or the first
     * user message of an imported file): its first line, cut at a word near {@value #TITLE_LENGTH}
     * characters.
     *
     * @param fallback the title when the line is empty
     */
    public static String titleFrom(String message, String fallback) {
        String line = message.strip().lines().findFirst().orElse("").strip();
        if (line.length() <= TITLE_LENGTH) {
            return line.isEmpty() ? fallback : line;
        }
        int cut = line.lastIndexOf(' ', TITLE_LENGTH);
        return line.substring(0, cut > TITLE_LENGTH / 3 ? cut : TITLE_LENGTH) + "…";
    }
}
