package dev.parlance;

import dev.parlance.cli.ParlanceCommand;

/**
 * The only entry point. Makes DJL private before any of its classes load (no downloads, no usage
 * reporting), then runs a command-line command, or opens the desktop app when given none.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) {
        makeDjlOffline();
        if (args.length == 0) {
            javafx.application.Application.launch(ParlanceApp.class, args);
            return;
        }
        System.exit(ParlanceCommand.run(args));
    }

    /** DJL reads these system properties when its classes first load. */
    public static void makeDjlOffline() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", AppDirectories.dataDirectory().resolve("djl").toString());
        }
    }
}
