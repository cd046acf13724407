package dev.parlance.store;

import java.time.Instant;

/** A stored conversation's header. */
public record ConversationRecord(
        String id, String title, Instant created, Instant updated, String model, ConversationSettings settings) {}
