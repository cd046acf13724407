package dev.parlance.cli;

import dev.parlance.store.ConversationArchive;
import dev.parlance.store.ConversationExport;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parlance export}: conversations as Markdown and JSON files, for reading or backing up. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes conversations as Markdown and JSON (Chat Completion messages plus details).")
public final class ExportCommand implements Callable<Integer> {

    /** Exactly one of: every conversation, or one by id. */
    static final class Which {
        @Option(names = "--all", required = true, description = "Export every conversation.")
        boolean all;

        @Option(names = "--id", required = true, paramLabel = "ID",
                description = "Export the conversation with this id.")
        String id;
    }

    @ArgGroup(multiplicity = "1")
    private Which which;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write the files into.")
    private Path out;

    @Mixin
    private DataDirOption data;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (SqliteConversationStore store = data.open(err)) {
            List<Path> files;
            if (which.all) {
                files = ConversationExport.exportAll(store, out);
            } else {
                ConversationArchive archive = ConversationExport.read(store, which.id);
                if (archive == null) {
                    err.println("There is no conversation with the id " + which.id
                            + ". Run \"parlance history\" to see the ids.");
                    return 1;
                }
                files = ConversationExport.write(archive, out);
            }
            files.forEach(stdout::println);
            stdout.println("Wrote " + files.size() + (files.size() == 1 ? " file" : " files") + " to " + out);
            return 0;
        } catch (StoreException e) {
            err.println(e.getMessage());
            return 1;
        }
    }
}
