package dev.parlance.inference;

/** Why a generation ended. */
public enum FinishReason {
    /** An end-of-sequence token or a stop string. */
    STOP,
    /** The answer reached its maximum number of new tokens. */
    LENGTH,
    /** The model's context window is full. */
    CONTEXT_FULL,
    /** Someone cancelled it; the text so far is kept. */
    CANCELLED,
    /** It failed; see the error that came with it. */
    ERROR,
    /** The process ended while it was being written (found on the next start). */
    INTERRUPTED
}
