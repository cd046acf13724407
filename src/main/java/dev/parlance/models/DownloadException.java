package dev.parlance.models;

import java.io.IOException;

/** Why a download stopped, in words that say what happened and what to do. */
public final class DownloadException extends IOException {
    /** What went wrong, for a view to pick an action (a token field, a retry button). */
    public enum Reason {
        /** The server could not be reached; the partial download stays and resumes. */
        OFFLINE,
        /** 401: the repository needs a token (or is private). */
        UNAUTHORIZED,
        /** 403 or a gated repository: the licence must be accepted on the model page, with a token. */
        GATED,
        /** 404: no such repository, revision or file. */
        NOT_FOUND,
        /** The bytes received do not have the announced SHA-256 or size; nothing was installed. */
        CHECKSUM,
        /** Not enough disk space; the partial download stays and resumes once space is freed. */
        DISK_FULL,
        /** Writing to the models directory failed for another reason than space. */
        WRITE_FAILED,
        /** Another download of the same model is running. */
        BUSY,
        /** The repository has nothing Parlance can run, or the requested variant is not in it. */
        UNSUPPORTED,
        /** The model is already in the models directory. */
        ALREADY_INSTALLED,
        /** The server answered with an error or broke off too often. */
        SERVER
    }

    private final Reason reason;

    public DownloadException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DownloadException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
