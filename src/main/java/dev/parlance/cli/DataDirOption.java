package dev.parlance.cli;

import dev.parlance.AppDirectories;
import dev.parlance.store.SqliteConversationStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data-dir} option shared by the commands that use the conversation store. */
final class DataDirOption {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Folder that holds Parlance's data (default: $" + AppDirectories.DATA_DIR_ENV
                    + ", else the per-user data folder).")
    private Path dataDir;

    /** The data folder: --data-dir, else the default one. */
    Path folder() {
        return dataDir != null ? dataDir : AppDirectories.dataDirectory();
    }

    /** Opens the store, telling {@code err} if a damaged database had to be moved aside. */
    SqliteConversationStore open(PrintWriter err) {
        SqliteConversationStore store =
                dataDir != null ? SqliteConversationStore.open(dataDir) : SqliteConversationStore.openDefault();
        store.startupNotice().ifPresent(err::println);
        return store;
    }
}
