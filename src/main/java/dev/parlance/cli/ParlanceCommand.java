package dev.parlance.cli;

import dev.parlance.RuntimeInfo;
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
            BenchCommand.class,
            ChatCommand.class,
            PromptCommand.class,
            HistoryCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            SelfTestCommand.class,
            ModelsCommand.class,
        })
public final class ParlanceCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Runs the command line and returns the process exit code. */
    public static int run(String... args) {
        return commandLine().execute(args);
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
        return new CommandLine(new ParlanceCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
