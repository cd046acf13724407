package dev.parlance.ui.chat.markdown;

import dev.parlance.ui.DesktopOpener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Opens a link of an answer in the browser or the mail program ({@link DesktopOpener}). Only web
 * and mail addresses open: an answer is a model's text, and could link to a file or a program.
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
        try {
            DesktopOpener.browse(destination);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open " + destination + ": " + e.getMessage(), e);
        }
    }
}
