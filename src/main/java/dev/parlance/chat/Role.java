package dev.parlance.chat;

import java.util.Locale;

/** Who wrote a message, as in the Chat Completion format. */
public enum Role {
    SYSTEM, USER, ASSISTANT;

    /** The lower-case name that chat templates and the JSON format use ({@code "user"}). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code "system"}, {@code "user"} or {@code "assistant"} (any case). */
    public static Role fromWireName(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
