package dev.parlance.service.remote;

import java.time.Duration;

/**
 * A remote server could not be used; the message is fit to show a person and never holds the API key.
 */
public final class RemoteException extends RuntimeException {
    private final int status;
    private final Duration retryAfter;

    /**
     * @param status the HTTP status, or 0 when the server did not answer with one
     * @param retryAfter how long the server asked to wait (a 429's {@code Retry-After}), or null
     */
    public RemoteException(String message, int status, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public RemoteException(String message) {
        this(message, 0, null, null);
    }

    /** The HTTP status, or 0 when the server did not answer with one. */
    public int status() {
        return status;
    }

    /** How long the server asked to wait before trying again, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
