package dev.parlance.ui.chat.markdown;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Opens a link of an answer with the desktop's own opener ({@code xdg-open}, {@code open}, or
 * Windows' URL handler), which needs neither AWT nor the application's HostServices. Only web and
 * mail addresses open: an answer is a model's text, and could link to a file or a program.
 */
public final class LinkOpener {
    private static final Set<String> SCHEMES = Set.of("http", "https", "mailto");

    private LinkOpener() {}

    /** Whether a link's destination is a web or mail address, which {@link #open} opens. */
    public static boolean isOpenable(String destination) {
        try {
            String scheme = new URI(destination).getScheme();
            return scheme != null && SCHEMES.contains(scheme.toLowerCase(Locale.ROOT));
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /**
     * Hands a web or mail address to the desktop; does nothing with any other.
     *
     * @throws UncheckedIOException when the desktop's opener cannot be started
     */
    public static void open(String destination) {
        if (!isOpenable(destination)) {
            return;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        List<String> command = os.contains("win") ? List.of("rundll32", "url.dll,FileProtocolHandler", destination)
                : os.contains("mac") ? List.of("open", destination) : List.of("xdg-open", destination);
        try {
            new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open " + destination + " with " + command.getFirst(), e);
        }
    }
}
