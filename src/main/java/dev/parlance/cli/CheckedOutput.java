package dev.parlance.cli;

import java.io.IOException;
import java.io.Writer;

/**
 * Standard output that remembers why a write failed. A {@link java.io.PrintWriter} keeps only a
 * flag ({@code checkError()}), so a full disk and a reader that went away would both be lost;
 * the command line reports the first failure when a command ends.
 */
final class CheckedOutput extends Writer {
    private final Writer target;
    private volatile IOException failure;

    CheckedOutput(Writer target) {
        this.target = target;
    }

    @Override
    public void write(char[] chars, int offset, int length) throws IOException {
        requireWorking();
        try {
            target.write(chars, offset, length);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public void flush() throws IOException {
        requireWorking();
        try {
            target.flush();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        target.close();
    }

    /** The first write that failed, or null. */
    IOException failure() {
        return failure;
    }

    /**
     * Whether the reader went away (a pipe into {@code head} or a closed pager): nothing is lost
     * that anyone would read, so the command stops without a message, as a program ended by
     * SIGPIPE does.
     */
    boolean readerGone() {
        String message = failure == null || failure.getMessage() == null ? "" : failure.getMessage();
        return message.contains("Broken pipe") || message.contains("pipe is being closed");
    }

    private void requireWorking() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
