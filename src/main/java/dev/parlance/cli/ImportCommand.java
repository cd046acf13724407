package dev.parlance.cli;

import dev.parlance.store.ConversationExport;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code parlance import}: adds conversations exported as JSON (or plain Chat Completion files). */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Adds conversations from JSON files written by \"parlance export\""
                + " or holding a Chat Completion \"messages\" list.")
public final class ImportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "JSON files to import.")
    private List<Path> files;

    @Mixin
    private DataDirOption data;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int failures = 0;
        try (SqliteConversationStore store = data.open(err)) {
            for (Path file : files) {
                if (Files.isDirectory(file)) {
                    err.println(file + " is a folder; import takes conversation files (parlance import "
                            + file.resolve("*.json") + " imports the ones in it).");
                    failures++;
                    continue;
                }
                if (!Files.isRegularFile(file)) {
                    err.println(Files.exists(file) ? file + " is not a regular file." : "There is no file " + file + ".");
                    failures++;
                    continue;
                }
                try {
                    String text = Files.readString(file, StandardCharsets.UTF_8);
                    ConversationRecord imported = store.importConversation(ConversationExport.fromJson(text));
                    // said only once it is committed: a crash after the line must not lose the import
                    store.flush();
                    out.println("Imported \"" + CliSupport.printable(imported.title()) + "\" as " + imported.id());
                } catch (IOException e) {
                    err.println("Could not read " + file + ": " + CliSupport.describe(e, false) + ".");
                    failures++;
                } catch (StoreException e) {
                    err.println(file + ": " + e.getMessage());
                    failures++;
                }
            }
        } catch (StoreException e) {
            err.println(e.getMessage());
            return 1;
        }
        return failures == 0 ? 0 : 1;
    }
}
