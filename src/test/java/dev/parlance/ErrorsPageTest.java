package dev.parlance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/errors.md} lists messages the code still writes: every message in its tables
 * (the backticked text of a row's first cell; {@code …} marks what varies) occurs, piece by
 * piece, in the string literals of {@code src/main}.
 */
class ErrorsPageTest {
    private static final Path PAGE = Path.of("docs", "errors.md");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    /** Shorter pieces (a quote, a colon) would be found anywhere and prove nothing. */
    private static final int SHORTEST_PIECE = 4;

    @Test
    void everyDocumentedMessageIsInTheSources() throws IOException {
        String sources = sources();
        List<String> messages = documentedMessages();
        assertThat(messages).as("messages found in " + PAGE).hasSizeGreaterThan(50);
        List<String> missing = new ArrayList<>();
        for (String message : messages) {
            List<String> pieces = Stream.of(message.split("…")).map(String::strip)
                    .filter(piece -> piece.length() >= SHORTEST_PIECE).toList();
            assertThat(pieces).as("a message with nothing to look for: " + message).isNotEmpty();
            for (String piece : pieces) {
                if (!sources.contains(piece)) {
                    missing.add(piece + "    (from: " + message + ")");
                }
            }
        }
        assertThat(missing).as("documented in " + PAGE + " but written nowhere in src/main").isEmpty();
    }

    /** The backticked texts of each table row's first cell, header rows aside. */
    private static List<String> documentedMessages() throws IOException {
        List<String> messages = new ArrayList<>();
        for (String line : Files.readAllLines(PAGE)) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String firstCell = line.substring(1, line.indexOf(" |", 1));
            Matcher code = CODE.matcher(firstCell);
            while (code.find()) {
                messages.add(code.group(1));
            }
        }
        return messages;
    }

    /** Every Java source and message bundle under src/main, with string escapes undone. */
    private static String sources() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src", "main"))) {
            return files.filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".properties"))
                    .map(ErrorsPageTest::read)
                    .map(text -> text.replace("\\\"", "\"").replace("\\\\", "\\"))
                    .collect(Collectors.joining("\n"));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
