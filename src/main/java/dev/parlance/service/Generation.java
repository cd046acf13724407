package dev.parlance.service;

/** A running answer that can be cancelled from any thread. */
@FunctionalInterface
public interface Generation {
    /** Stops the answer before its next token; the text so far is kept. */
    void cancel();
}
