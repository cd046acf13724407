package dev.parlance.store;

import java.time.Clock;

/** The store contract for the in-memory store. */
class InMemoryConversationStoreTest extends ConversationStoreContract {
    @Override
    protected ConversationStore open(Clock clock) {
        return new InMemoryConversationStore(clock);
    }

    @Override
    protected ConversationStore openAgain() {
        return store;
    }
}
