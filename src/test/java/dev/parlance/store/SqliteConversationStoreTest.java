package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteConversationStoreTest {
    @TempDir
    Path dir;

    private SqliteConversationStore store;

    @BeforeEach
    void open() {
        store = SqliteConversationStore.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private SqliteConversationStore reopen() {
        store.close();
        store = SqliteConversationStore.open(dir);
        return store;
    }

    @Test
    void conversationsAndMessagesSurviveReopening() {
        var settings = new ConversationSettings("Be brief.", 0.7, 0.9, 40, null, null, 256, null, 42L);
        var conversation = store.create("Trip to Lisbon", "qwen2-0.5b", settings);
        store.append(conversation.id(), Role.USER, "Where should I eat?");
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Try the bakery.", "They asked about food.",
                new MessageStats(12, 85.5, 31.25), FinishReason.STOP);

        reopen();

        assertThat(store.conversations()).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo(conversation.id());
            assertThat(c.title()).isEqualTo("Trip to Lisbon");
            assertThat(c.model()).isEqualTo("qwen2-0.5b");
            assertThat(c.settings()).isEqualTo(settings);
            assertThat(c.created()).isEqualTo(conversation.created());
        });
        List<MessageRecord> messages = store.messages(conversation.id(), 0, 10);
        assertThat(messages).extracting(MessageRecord::role).containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(messages.get(1)).satisfies(m -> {
            assertThat(m.content()).isEqualTo("Try the bakery.");
            assertThat(m.reasoning()).isEqualTo("They asked about food.");
            assertThat(m.stats()).isEqualTo(new MessageStats(12, 85.5, 31.25));
            assertThat(m.finish()).isEqualTo(FinishReason.STOP);
            assertThat(m.model()).isEqualTo("qwen2-0.5b");
            assertThat(m.position()).isEqualTo(1);
        });
    }

    @Test
    void appendGivesConsecutivePositionsWithoutWaitingForTheDisk() {
        var conversation = store.create("Numbers", null, null);
        for (int i = 0; i < 5; i++) {
            assertThat(store.append(conversation.id(), Role.USER, "m" + i).position()).isEqualTo(i);
        }
        assertThat(store.messageCount(conversation.id())).isEqualTo(5);
    }

    @Test
    void appendsFromManyThreadsAllLandInOrderPerConversation() throws Exception {
        List<ConversationRecord> conversations = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            conversations.add(store.create("Thread " + t, null, null));
        }
        List<Thread> threads = new ArrayList<>();
        for (ConversationRecord conversation : conversations) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 250; i++) {
                    store.append(conversation.id(), Role.USER, "m" + i);
                    if (i % 50 == 0) {
                        store.messageCount(conversation.id());
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }

        for (ConversationRecord conversation : conversations) {
            List<MessageRecord> messages = store.messages(conversation.id(), 0, 1000);
            assertThat(messages).hasSize(250);
            for (int i = 0; i < 250; i++) {
                assertThat(messages.get(i).position()).isEqualTo(i);
                assertThat(messages.get(i).content()).isEqualTo("m" + i);
            }
        }
    }

    @Test
    void aClosedStoreSaysSo() {
        store.close();

        assertThatThrownBy(store::conversations).isInstanceOf(StoreException.class).hasMessage(
                "The conversation store is closed.");
        store = SqliteConversationStore.open(dir);
    }

    @Test
    void messagesArePaged() {
        var conversation = store.create("Long", null, null);
        for (int i = 0; i < 25; i++) {
            store.append(conversation.id(), Role.USER, "m" + i);
        }
        assertThat(store.messages(conversation.id(), 10, 10)).extracting(MessageRecord::content)
                .containsExactly("m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17", "m18", "m19");
        assertThat(store.messages(conversation.id(), 20, 10)).hasSize(5);
    }

    @Test
    void aReadCommitsTheStreamedTextBeforeItReads() throws Exception {
        var conversation = store.create("Stream", null, null);
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Hello wor", "", new MessageStats(3, 50, 20), null);

        assertThat(store.messages(conversation.id(), 0, 1)).singleElement().satisfies(m -> {
            assertThat(m.content()).isEqualTo("Hello wor");
            assertThat(m.finish()).isNull();
        });
        assertThat(contentOnDisk(answer.id())).isEqualTo("Hello wor");
    }

    @Test
    void streamingTextReachesTheDiskOnTheWritersTimerWithoutAFlush() throws Exception {
        var conversation = store.create("Stream", null, null);
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        CompletableFuture<Void> saved = null;
        for (int i = 1; i <= 20; i++) {
            saved = store.updateMessage(answer.id(), "word ".repeat(i), "", MessageStats.NONE, null);
        }

        assertThat(saved).succeedsWithin(Duration.ofSeconds(30));
        assertThat(contentOnDisk(answer.id())).isEqualTo("word ".repeat(20));
    }

    @Test
    void streamingAnAnswerWritesItsTextOncePerTimerTickOrRead() throws Exception {
        AtomicLong timer = new AtomicLong();
        store.close();
        store = SqliteConversationStore.open(dir, Clock.systemUTC(), timer::get);
        var conversation = store.create("Stream", null, null);
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.flush();
        countTextWrites();

        CompletableFuture<Void> saved = null;
        for (int words = 1; words <= 1000; words++) {
            saved = store.updateMessage(answer.id(), "word ".repeat(words), "", MessageStats.NONE, null);
        }
        // a batch of the writer's after every update, with no read or barrier in it
        assertThat(store.putSetting("after", "streaming")).succeedsWithin(Duration.ofSeconds(30));
        assertThat(textWrites()).isZero();

        timer.addAndGet(TimeUnit.MILLISECONDS.toNanos(StoreWriter.STREAM_INTERVAL_MILLIS));
        assertThat(saved).succeedsWithin(Duration.ofSeconds(30));
        assertThat(textWrites()).isEqualTo(1);
        assertThat(contentOnDisk(answer.id())).isEqualTo("word ".repeat(1000));

        for (int words = 1001; words <= 2000; words++) {
            store.updateMessage(answer.id(), "word ".repeat(words), "", MessageStats.NONE, null);
        }
        assertThat(store.messages(conversation.id(), 0, 1).getFirst().content()).isEqualTo("word ".repeat(2000));
        assertThat(textWrites()).isEqualTo(2);
    }

    /** Has the database count every change of a message's text, with a trigger of the test's own. */
    private void countTextWrites() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE text_writes (n INTEGER NOT NULL)");
            s.execute("INSERT INTO text_writes VALUES (0)");
            s.execute("CREATE TRIGGER count_text_writes AFTER UPDATE OF content ON messages"
                    + " BEGIN UPDATE text_writes SET n = n + 1; END");
        }
    }

    private int textWrites() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT n FROM text_writes")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private String contentOnDisk(String messageId) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT content FROM messages WHERE id = '" + messageId + "'")) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    @Test
    void theFinalTextWinsOverStreamedText() {
        var conversation = store.create("Stream", null, null);
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "partial", "", MessageStats.NONE, null);
        store.updateMessage(answer.id(), "complete answer", "", new MessageStats(2, 10, 5), FinishReason.CANCELLED);
        store.updateMessage(answer.id(), "late partial", "", MessageStats.NONE, null);
        store.flush();

        reopen();

        assertThat(store.messages(conversation.id(), 0, 1)).singleElement().satisfies(m -> {
            assertThat(m.content()).isEqualTo("complete answer");
            assertThat(m.finish()).isEqualTo(FinishReason.CANCELLED);
        });
    }

    @Test
    void anAnswerLeftStreamingIsMarkedInterruptedOnReopening() {
        var conversation = store.create("Stream", null, null);
        store.append(conversation.id(), Role.USER, "Tell me a story");
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Once upon", "", MessageStats.NONE, null);
        store.flush();

        reopen();

        assertThat(store.messages(conversation.id(), 0, 5))
                .extracting(MessageRecord::content, MessageRecord::finish)
                .containsExactly(tuple("Tell me a story", null), tuple("Once upon", FinishReason.INTERRUPTED));
    }

    @Test
    void anInterruptedAnswerCanBeContinued() {
        var conversation = store.create("Stream", null, null);
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Once upon", "", MessageStats.NONE, null);
        store.flush();
        reopen();

        store.updateMessage(answer.id(), "Once upon a time", "", MessageStats.NONE, null);
        store.flush();
        reopen();

        assertThat(store.messages(conversation.id(), 0, 1)).singleElement()
                .extracting(MessageRecord::content).isEqualTo("Once upon a time");
    }

    @Test
    void softDeleteHidesAConversationUntilItIsRestored() {
        var conversation = store.create("Keep me", null, null);
        store.delete(conversation.id());
        assertThat(store.conversations()).isEmpty();
        assertThat(store.conversation(conversation.id())).isEmpty();
        assertThat(store.deletedConversations()).extracting(ConversationRecord::id)
                .containsExactly(conversation.id());

        store.undoDelete(conversation.id());

        assertThat(store.conversations()).extracting(ConversationRecord::id).containsExactly(conversation.id());
        assertThat(store.conversation(conversation.id())).isPresent();
        assertThat(store.deletedConversations()).isEmpty();
    }

    @Test
    void closingPurgesConversationsDeletedDuringTheSession() {
        var gone = store.create("Gone", null, null);
        store.append(gone.id(), Role.USER, "remember the zebra");
        var kept = store.create("Kept", null, null);
        store.delete(gone.id());

        reopen();

        assertThat(store.conversation(gone.id())).isEmpty();
        assertThat(store.deletedConversations()).isEmpty();
        assertThat(store.conversations()).extracting(ConversationRecord::id).containsExactly(kept.id());
        assertThat(store.search("zebra", 10)).isEmpty();
    }

    @Test
    void purgeDeletesSoftDeletedConversationsForGood() {
        var gone = store.create("Gone", null, null);
        store.delete(gone.id());

        store.purgeDeleted();

        assertThat(store.conversation(gone.id())).isEmpty();
    }

    @Test
    void truncatingRemovesTheMessageAndEveryLaterOne() {
        var conversation = store.create("Edit", null, null);
        store.append(conversation.id(), Role.USER, "first");
        var second = store.append(conversation.id(), Role.ASSISTANT, "second");
        store.append(conversation.id(), Role.USER, "third");

        store.truncateFrom(second.id());
        var again = store.append(conversation.id(), Role.ASSISTANT, "second, regenerated");

        assertThat(again.position()).isEqualTo(1);
        assertThat(store.messages(conversation.id(), 0, 10)).extracting(MessageRecord::content)
                .containsExactly("first", "second, regenerated");
    }

    @Test
    void versionsAndBranchesSurviveARestart() {
        var conversation = store.create("Tree", null, null);
        var question = store.append(conversation.id(), Role.USER, "question");
        var first = store.append(conversation.id(), Role.ASSISTANT, "first");
        store.append(conversation.id(), question.id(), Role.ASSISTANT, "second");
        store.select(first.id());

        reopen();

        assertThat(store.messages(conversation.id(), 0, 10)).extracting(MessageRecord::content)
                .containsExactly("question", "first");
        assertThat(store.versions(first.id())).extracting(MessageRecord::content).containsExactly("first", "second");
        assertThat(store.append(conversation.id(), Role.USER, "follow-up"))
                .satisfies(m -> assertThat(m.parentId()).isEqualTo(first.id()))
                .satisfies(m -> assertThat(m.position()).isEqualTo(2));
    }

    @Test
    void editingAMessageReplacesItsText() {
        var conversation = store.create("Edit", null, null);
        var question = store.append(conversation.id(), Role.USER, "teh question");

        store.editMessage(question.id(), "the question");

        assertThat(store.messages(conversation.id(), 0, 1)).singleElement()
                .extracting(MessageRecord::content).isEqualTo("the question");
    }

    @Test
    void renamingAndNewSettingsAreSaved() {
        var conversation = store.create("Untitled", "a", null);
        store.rename(conversation.id(), "Named");
        var settings = new ConversationSettings(null, 0.2, null, null, null, null, null, 4096, null);
        store.updateSettings(conversation.id(), "b", settings);
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");

        assertThat(answer.model()).isEqualTo("b");
        assertThat(reopen().conversation(conversation.id())).get().satisfies(c -> {
            assertThat(c.title()).isEqualTo("Named");
            assertThat(c.model()).isEqualTo("b");
            assertThat(c.settings()).isEqualTo(settings);
        });
    }

    @Test
    void searchFindsWordsAndMarksThem() {
        var conversation = store.create("Cooking", null, null);
        var message = store.append(conversation.id(), Role.USER, "How long should I boil an egg for a soft yolk?");
        store.append(conversation.id(), Role.ASSISTANT, "About six minutes.");

        assertThat(store.search("soft egg", 10)).singleElement().satisfies(hit -> {
            assertThat(hit.messageId()).isEqualTo(message.id());
            assertThat(hit.conversationId()).isEqualTo(conversation.id());
            assertThat(hit.conversationTitle()).isEqualTo("Cooking");
            assertThat(hit.snippet()).contains("[[egg]]").contains("[[soft]]");
        });
    }

    @Test
    void searchMatchesTheStartOfTheLastWordTyped() {
        var conversation = store.create("Cooking", null, null);
        store.append(conversation.id(), Role.USER, "a sourdough starter");

        assertThat(store.search("sourd", 10)).singleElement()
                .extracting(SearchHit::snippet).asString().contains("[[sourdough]]");
    }

    @Test
    void searchTreatsOperatorCharactersAsText() {
        var conversation = store.create("Code", null, null);
        store.append(conversation.id(), Role.USER, "what does x-y: \"z\" NOT mean?");

        assertThat(store.search("x-y: \"z\" NOT", 10)).hasSize(1);
        assertThat(store.search("  \"  ", 10)).isEmpty();
    }

    @Test
    void searchSeesEditedText() {
        var conversation = store.create("Edit", null, null);
        var message = store.append(conversation.id(), Role.USER, "apple");
        store.editMessage(message.id(), "banana");

        assertThat(store.search("apple", 10)).isEmpty();
        assertThat(store.search("banana", 10)).hasSize(1);
    }

    @Test
    void appSettingsAreSavedAndRemoved() {
        store.putSetting("theme", "dark");
        store.putSetting("theme", "light");
        store.putSetting("font", "14");
        store.putSetting("font", null);

        reopen();

        assertThat(store.setting("theme")).contains("light");
        assertThat(store.setting("font")).isEmpty();
    }

    @Test
    void finishCountsSummariseHowAnswersEnded() {
        var conversation = store.create("Counts", null, null);
        for (FinishReason reason : List.of(FinishReason.STOP, FinishReason.STOP, FinishReason.LENGTH)) {
            var answer = store.append(conversation.id(), Role.ASSISTANT, "");
            store.updateMessage(answer.id(), "x", "", MessageStats.NONE, reason);
        }
        store.append(conversation.id(), Role.USER, "q");

        assertThat(store.finishCounts(conversation.id()))
                .containsEntry(FinishReason.STOP, 2).containsEntry(FinishReason.LENGTH, 1).hasSize(2);
    }

    @Test
    void aFullDiskHoldsWritesUntilThereIsSpaceAgain() throws Exception {
        List<StoreException> reported = new CopyOnWriteArrayList<>();
        store.addErrorListener(reported::add);
        var conversation = store.create("Big", null, null);
        store.flush();
        store.limitSize(pageCount());
        String page = "x".repeat(4000);
        for (int i = 0; i < 50; i++) {
            store.append(conversation.id(), Role.USER, i + page);
        }

        assertThatThrownBy(store::flush).isInstanceOfSatisfying(StoreException.class, e -> {
            assertThat(e.reason()).isEqualTo(StoreException.Reason.DISK_FULL);
            assertThat(e.getMessage()).contains("disk is full").contains("nothing is lost");
        });
        assertThat(reported).extracting(StoreException::reason).containsExactly(StoreException.Reason.DISK_FULL);
        assertThat(store.pendingError()).isPresent();

        store.limitSize(1_000_000);
        store.flush();

        assertThat(store.pendingError()).isEmpty();
        assertThat(reopen().messageCount(conversation.id())).isEqualTo(50);
    }

    private long pageCount() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("PRAGMA page_count")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void aFileInThePlaceOfTheDataFolderIsExplainedInPlainWords() throws Exception {
        Path blocked = Files.writeString(dir.resolve("not-a-folder"), "x");

        assertThatThrownBy(() -> SqliteConversationStore.open(blocked))
                .isInstanceOfSatisfying(StoreException.class, e -> {
                    assertThat(e.reason()).isEqualTo(StoreException.Reason.NOT_WRITABLE);
                    assertThat(e.getMessage()).contains(blocked.toString())
                            .contains("a file of that name is in the way");
                });
    }

    @Test
    void aFolderWhereTheDatabaseBelongsIsExplainedInPlainWords() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(data.resolve(SqliteConversationStore.FILE_NAME));

        assertThatThrownBy(() -> SqliteConversationStore.open(data))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(data.resolve(SqliteConversationStore.FILE_NAME) + " is a folder")
                .hasMessageNotContainingAny("removable", "connected");
    }

    @Test
    void appendingToAPurgedConversationIsExplained() {
        var conversation = store.create("Gone", null, null);
        store.delete(conversation.id());
        store.purgeDeleted();
        reopen();

        assertThatThrownBy(() -> store.append(conversation.id(), Role.USER, "hello"))
                .isInstanceOf(StoreException.class).hasMessageContaining("it has been deleted");
    }
}
