package dev.parlance.chat;

import java.util.Objects;

/**
 * One message of a conversation in the Chat Completion format.
 *
 * @param role who wrote it
 * @param content its text, exactly as the model sees it (for an assistant message: the answer
 *     without its reasoning)
 */
public record Message(Role role, String content) {
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static Message system(String content) {
        return new Message(Role.SYSTEM, content);
    }

    public static Message user(String content) {
        return new Message(Role.USER, content);
    }

    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }
}
