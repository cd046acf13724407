package dev.parlance.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/** Runs a {@code parlance} command in this JVM with the given stdin, capturing stdout and stderr. */
final class CliRun {
    /** What a run printed and returned. */
    record Result(int exit, String out, String err) {}

    private CliRun() {}

    static Result run(String stdin, String... args) {
        return run(stdin, new StringWriter(), args);
    }

    /**
     * @param out receives stdout as it is written (a test may react to it, or fail a write as a
     *     full disk does); it must be a StringWriter or wrap one
     */
    static Result run(String stdin, Writer out, String... args) {
        StringWriter err = new StringWriter();
        InputStream savedIn = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            int exit = ParlanceCommand.execute(out, new PrintWriter(err, true), args);
            return new Result(exit, out.toString(), err.toString());
        } finally {
            System.setIn(savedIn);
        }
    }
}
