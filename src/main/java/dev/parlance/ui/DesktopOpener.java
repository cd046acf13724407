package dev.parlance.ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Hands a web page or a folder to the desktop: the browser, or the file manager with a model file
 * selected. Uses the OS's own opener ({@code xdg-open}, {@code open}, {@code explorer}), which needs
 * neither AWT nor the application's HostServices.
 */
public final class DesktopOpener {
    private DesktopOpener() {}

    /** Opens a web address in the browser. */
    public static void browse(String uri) throws IOException {
        start(os().contains("win") ? List.of("rundll32", "url.dll,FileProtocolHandler", uri)
                : os().contains("mac") ? List.of("open", uri) : List.of("xdg-open", uri));
    }

    /** Shows a model in the file manager: its folder, or the folder holding its file (selected where the OS can). */
    public static void reveal(Path model) throws IOException {
        Path absolute = model.toAbsolutePath();
        if (os().contains("win")) {
            start(List.of("explorer", "/select," + absolute));
        } else if (os().contains("mac")) {
            start(List.of("open", "-R", absolute.toString()));
        } else {
            start(List.of("xdg-open", (Files.isDirectory(absolute) ? absolute : absolute.getParent()).toString()));
        }
    }

    private static void start(List<String> command) throws IOException {
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static String os() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    }
}
