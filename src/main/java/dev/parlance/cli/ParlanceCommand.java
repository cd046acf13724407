package dev.parlance.cli;

import dev.parlance.RuntimeInfo;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code parlance} command line; each subcommand runs the same engine as the desktop app. */
@Command(
        name = "parlance",
        mixinStandardHelpOptions = true,
        versionProvider = ParlanceCommand.Version.class,
        description = "An offline AI assistant. With no command, opens the desktop app.",
        subcommands = {
            CommandLine.HelpCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
            PromptCommand.class,
            HistoryCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            SelfTestCommand.class,
            ModelsCommand.class,
            ServeCommand.class,
        })
public final class ParlanceCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** The exit code of a program ended by SIGPIPE: what a shell reports when the reader left first. */
    static final int EXIT_READER_GONE = 141;

    /**
     * Runs the command line on the process's own stdout (descriptor 1, not {@code System.out},
     * which keeps no reason when a write fails) and returns the exit code.
     */
    public static int runOnProcessOutput(String... args) {
        Writer stdout = new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), System.out.charset());
        return execute(stdout, new PrintWriter(System.err, true), args);
    }

    /** Runs the command line on {@code System.out} and {@code System.err} and returns the exit code. */
    public static int run(String... args) {
        return execute(new OutputStreamWriter(System.out, System.out.charset()), new PrintWriter(System.err, true),
                args);
    }

    /**
     * Runs the command line. A command whose output could not be written does not end with 0: a
     * full disk or a broken device is one line on {@code err} and exit code 1; a reader that went
     * away (the pipe closed) is exit code 141 without a message.
     *
     * @param stdout where the command's output goes; flushed, not closed
     */
    static int execute(Writer stdout, PrintWriter err, String... args) {
        CheckedOutput checked = new CheckedOutput(stdout);
        PrintWriter out = new PrintWriter(checked);
        int exit = commandLine().setOut(out).setErr(err).execute(args);
        out.flush();
        IOException failure = checked.failure();
        if (failure == null) {
            return exit;
        }
        if (checked.readerGone()) {
            return exit == 0 ? EXIT_READER_GONE : exit;
        }
        err.println("parlance: cannot write the output: " + (failure.getMessage() != null ? failure.getMessage()
                : failure.getClass().getSimpleName()) + "; what was not written is lost");
        err.flush();
        return exit == 0 ? CliSupport.EXIT_FAILED : exit;
    }

    /** {@code --version}: the version, the Java runtime, the compute path, threads and the CPU. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return RuntimeInfo.describe().toArray(String[]::new);
        }
    }

    /** The command line, its options as people type them ({@code --weights q8_0}). */
    static CommandLine commandLine() {
        return new CommandLine(new ParlanceCommand()).addSubcommand(benchCommand())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** The class of {@code parlance bench}, in the build's {@code src/bench/java}. */
    private static final String BENCH_COMMAND = "dev.parlance.cli.BenchCommand";

    /**
     * {@code bench}: the benchmark when this build has it ({@code mvn -Pbench package}, and the
     * tests), else a command of that name that says how to get it.
     */
    private static Object benchCommand() {
        try {
            return Class.forName(BENCH_COMMAND).getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return new BenchNotBuilt();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + BENCH_COMMAND, e);
        }
    }

    /** {@code bench} in a build without the benchmarks: says how to build them. */
    @Command(name = "bench", description = "Not in this build: says how to build the benchmarks in.",
            hidden = true)
    static final class BenchNotBuilt implements Callable<Integer> {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("parlance: this build has no benchmarks; build them into it with "
                    + "`mvn -B -DskipTests -Pbench package` in Parlance's source (docs/benchmarks.md)");
            return CliSupport.EXIT_FAILED;
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
