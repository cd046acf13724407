package dev.parlance.store;

/**
 * A search match.
 *
 * @param snippet a piece of the message text with matches wrapped in {@code [[ ]]}
 */
public record SearchHit(String conversationId, String conversationTitle, String messageId, String snippet) {}
