package dev.parlance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** What standard input is, for commands that read it. */
final class StandardInput {
    private StandardInput() {}

    /**
     * Whether the process was started with standard input closed ({@code parlance chat <&-}). The
     * JVM then gives descriptor 0 to a file it opens for itself (its {@code lib/modules}), and
     * {@code System.in} would read that file as if it were typed. Known on Linux, through
     * {@code /proc/self/fd}; elsewhere this answers false.
     */
    static boolean isClosed() {
        Path descriptors = Path.of("/proc/self/fd");
        if (!Files.isDirectory(descriptors)) {
            return false;
        }
        try {
            Path target = Files.readSymbolicLink(descriptors.resolve("0"));
            return target.isAbsolute() && target.startsWith(Path.of(System.getProperty("java.home")).toRealPath());
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
