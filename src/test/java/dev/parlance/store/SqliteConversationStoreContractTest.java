package dev.parlance.store;

import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/** The store contract for the SQLite store; its own behaviour is in {@link SqliteConversationStoreTest}. */
class SqliteConversationStoreContractTest extends ConversationStoreContract {
    @TempDir
    Path dir;

    @Override
    protected ConversationStore open(Clock clock) {
        return SqliteConversationStore.open(dir, clock);
    }

    @Override
    protected ConversationStore openAgain() {
        return SqliteConversationStore.open(dir);
    }
}
