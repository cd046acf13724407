package dev.parlance.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.function.ToLongFunction;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The conversation store could not do what was asked. The message is written for the person using
 * the app; {@link #reason()} lets code decide what to do (wait and retry, move the file aside...).
 */
public class StoreException extends RuntimeException {

    /** What went wrong, as far as the code needs to know. */
    public enum Reason {
        /** No space left on the disk; saving can resume once space is freed. */
        DISK_FULL,
        /** The folder or file may not be written (permissions, read-only medium). */
        NOT_WRITABLE,
        /** The operating system reported a read or write error. */
        DISK_ERROR,
        /** Another program holds the database locked for too long. */
        BUSY,
        /** The file is not a readable database. */
        DAMAGED,
        /** The file was written by a newer Parlance; it is left alone. */
        NEWER_VERSION,
        /** Anything else, such as a file that cannot be parsed on import. */
        OTHER
    }

    /** Less free space than this, and an I/O error is taken to be the full disk. */
    private static final long NEARLY_FULL_BYTES = 1 << 20;

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** True when the same write may succeed later without changing the data (free space, unlock). */
    public boolean isTemporary() {
        return reason == Reason.DISK_FULL
                || reason == Reason.NOT_WRITABLE
                || reason == Reason.DISK_ERROR
                || reason == Reason.BUSY;
    }

    /**
     * Translates a database error into plain words.
     *
     * @param action what was being done, as a verb phrase ("save your conversations")
     * @param file the database file, named in the message
     */
    static StoreException from(SQLException error, String action, Path file) {
        return from(error, action, file, StoreException::usableSpace);
    }

    /**
     * As {@link #from(SQLException, String, Path)}, with the free space of a folder told by
     * {@code usableSpace} (-1 when unknown): SQLite reports some writes on a full disk as I/O
     * errors (growing the shared-memory file when opening, for one), which are then said as a full disk.
     */
    static StoreException from(SQLException error, String action, Path file, ToLongFunction<Path> usableSpace) {
        SQLiteErrorCode code = error instanceof SQLiteException ? ((SQLiteException) error).getResultCode() : null;
        int primary = code == null ? -1 : code.code & 0xff;
        String where = file.getParent() == null ? file.toString() : file.getParent().toString();
        boolean noSpace = primary == SQLiteErrorCode.SQLITE_IOERR.code
                && file.getParent() != null && usableSpace.applyAsLong(file.getParent()) >= 0
                && usableSpace.applyAsLong(file.getParent()) < NEARLY_FULL_BYTES;
        if (primary == SQLiteErrorCode.SQLITE_FULL.code || noSpace) {
            return new StoreException(Reason.DISK_FULL,
                    "Could not " + action + " because the disk is full. Free some space on the disk that holds "
                            + where + "; nothing is lost while Parlance stays open.", error);
        }
        if (primary == SQLiteErrorCode.SQLITE_READONLY.code
                || primary == SQLiteErrorCode.SQLITE_PERM.code
                || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code
                || primary == SQLiteErrorCode.SQLITE_AUTH.code) {
            return new StoreException(Reason.NOT_WRITABLE,
                    "Could not " + action + " because Parlance may not write to " + where
                            + ". Check that the folder exists and that you may write to it.", error);
        }
        if (primary == SQLiteErrorCode.SQLITE_IOERR.code) {
            return new StoreException(Reason.DISK_ERROR,
                    "Could not " + action + " because the disk reported an error while using " + file
                            + ". If the disk is removable, check that it is still connected.", error);
        }
        if (primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code) {
            return new StoreException(Reason.BUSY,
                    "Could not " + action + " because another program is using " + file
                            + ". Close other copies of Parlance and try again.", error);
        }
        if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
            return new StoreException(Reason.DAMAGED,
                    "Could not " + action + " because " + file + " is damaged.", error);
        }
        return new StoreException(Reason.OTHER,
                "Could not " + action + ": " + error.getMessage(), error);
    }

    /** Whether the disk that holds {@code folder} has (nearly) no space left. */
    static boolean nearlyFull(Path folder) {
        long space = usableSpace(folder);
        return space >= 0 && space < NEARLY_FULL_BYTES;
    }

    private static long usableSpace(Path folder) {
        try {
            return Files.getFileStore(folder).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }
}
