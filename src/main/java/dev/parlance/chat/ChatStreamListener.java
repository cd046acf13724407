package dev.parlance.chat;

/** Receives an answer as it streams, on the generating thread. */
public interface ChatStreamListener {
    /** More answer text. */
    void onText(String delta);

    /** More reasoning text. */
    void onReasoning(String delta);
}
