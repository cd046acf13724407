package dev.parlance;

import dev.parlance.cli.ParlanceCommand;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The only entry point. Makes sure the products run on Java's Vector API (started without its
 * module, as {@code java -jar parlance.jar} is, it starts itself again once with it), makes DJL
 * private before any of its classes load (no downloads, no usage reporting), then runs a
 * command-line command, or opens the desktop app when given none.
 */
public final class Launcher {
    /** Set in the environment of the process started again, so that it never starts another. */
    static final String RESTARTED = "PARLANCE_RESTARTED_WITH_VECTOR_API";
    /** The launchers' heap cap, which a restart adds unless the first start was given one (docs/benchmarks.md, "The heap"). */
    static final String HEAP_CAP = "-Xmx1g";

    private Launcher() {}

    public static void main(String[] args) {
        if (!RuntimeInfo.vectorApiEnabled()) {
            Integer exitCode = restartWithVectorApi(args);
            if (exitCode != null) {
                System.exit(exitCode);
            }
            System.err.println("Parlance: Java's Vector API is not available in this Java runtime; computing on "
                    + "the slower PyTorch path (a JDK 25 has it: start with --add-modules "
                    + RuntimeInfo.VECTOR_MODULE + ")");
        }
        makeDjlOffline();
        if (args.length == 0) {
            ParlanceApp.open(args);
            return;
        }
        System.exit(ParlanceCommand.runOnProcessOutput(args));
    }

    /**
     * Runs this program again in a new JVM with the Vector API's module, the same arguments, JVM
     * options (and the launchers' heap cap if they set none) and standard streams, and returns its exit code; null when that cannot be done (the
     * runtime lacks the module, or this is already the second start). Ctrl+C reaches both
     * processes: this one ignores it and lets the other decide (the chat stops an answer).
     */
    static Integer restartWithVectorApi(String[] args) {
        if (System.getenv(RESTARTED) != null || !RuntimeInfo.vectorApiInstalled()) {
            return null;
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("--add-modules=" + RuntimeInfo.VECTOR_MODULE);
        command.add("--enable-native-access=ALL-UNNAMED"); // what the jar's manifest gives a -jar start
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (options.stream().noneMatch(option -> option.startsWith("-Xmx") || option.startsWith("-XX:MaxHeapSize"))) {
            command.add(HEAP_CAP);
        }
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Launcher.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put(RESTARTED, "1");
        Process child;
        try {
            child = builder.start();
        } catch (IOException e) {
            return null;
        }
        Signal.handle(new Signal("INT"), SignalHandler.SIG_IGN);
        Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));
        while (true) {
            try {
                return child.waitFor();
            } catch (InterruptedException e) {
                child.destroy();
            }
        }
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
