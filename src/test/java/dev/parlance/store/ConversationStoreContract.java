package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ConversationStore} must do, run against each implementation by a subclass:
 * {@link InMemoryConversationStoreTest} and {@link SqliteConversationStoreContractTest}. The clock
 * ticks a second per reading, so ordering by time needs no waiting.
 */
abstract class ConversationStoreContract {
    private final AtomicLong seconds = new AtomicLong();
    private final Clock ticking = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds.incrementAndGet());
        }
    };
    private static final Duration WAIT = Duration.ofSeconds(30);

    protected ConversationStore store;

    /** A new, empty store reading the time from {@code clock}. */
    protected abstract ConversationStore open(Clock clock);

    /**
     * A second store over the same data as {@link #store}, opened afresh while that one stays
     * open, as the next process would find it: the SQLite store on the same file. The in-memory
     * store has nothing but itself.
     */
    protected abstract ConversationStore openAgain();

    /** What a fresh store over the same data reads. */
    private <T> List<T> readAfresh(Function<ConversationStore, List<T>> read) {
        ConversationStore fresh = openAgain();
        try {
            return read.apply(fresh);
        } finally {
            if (fresh != store) {
                fresh.close();
            }
        }
    }

    @BeforeEach
    void openStore() {
        store = open(ticking);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void listsTheMostRecentlyUpdatedConversationFirst() {
        ConversationRecord a = store.create("a", "m", ConversationSettings.DEFAULTS);
        ConversationRecord b = store.create("b", "m", ConversationSettings.DEFAULTS);
        store.append(a.id(), Role.USER, "hi");
        assertThat(store.conversations()).extracting(ConversationRecord::title).containsExactly("a", "b");
        assertThat(store.conversation(b.id())).isPresent();
    }

    @Test
    void appendedMessagesGetIdsAndPositionsInOrder() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord first = store.append(c.id(), Role.USER, "one");
        MessageRecord second = store.append(c.id(), Role.ASSISTANT, "");
        assertThat(first.id()).isNotEqualTo(second.id());
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::position).containsExactly(0, 1);
        assertThat(store.messages(c.id(), 1, 10)).extracting(MessageRecord::content).containsExactly("");
        assertThat(store.messageCount(c.id())).isEqualTo(2);
    }

    @Test
    void updatingAMessageKeepsItsTextReasoningAndFinish() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord m = store.append(c.id(), Role.ASSISTANT, "");
        store.updateMessage(m.id(), "answer", "thought", new MessageStats(3, 10, 20), FinishReason.STOP);
        MessageRecord saved = store.messages(c.id(), 0, 1).get(0);
        assertThat(saved.content()).isEqualTo("answer");
        assertThat(saved.reasoning()).isEqualTo("thought");
        assertThat(saved.finish()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void truncatingDropsTheMessageAndAllAfterIt() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "one");
        MessageRecord two = store.append(c.id(), Role.ASSISTANT, "two");
        store.append(c.id(), Role.USER, "three");
        store.truncateFrom(two.id());
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content).containsExactly("one");
    }

    @Test
    void deletingAMessageRemovesItsSubtree() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "one");
        MessageRecord two = store.append(c.id(), Role.ASSISTANT, "two");
        store.append(c.id(), Role.USER, "three");
        store.deleteMessage(two.id());
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content).containsExactly("one");
        assertThat(store.tree(c.id())).extracting(MessageRecord::content).containsExactly("one");
        assertThat(store.append(c.id(), Role.ASSISTANT, "two again").position()).isEqualTo(1);
    }

    @Test
    void aMessageAppendedUnderTheSameParentIsANewVersionAndIsSelected() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord question = store.append(c.id(), Role.USER, "question");
        MessageRecord first = store.append(c.id(), Role.ASSISTANT, "first answer");
        MessageRecord second = store.append(c.id(), question.id(), Role.ASSISTANT, "second answer");

        assertThat(second.parentId()).isEqualTo(question.id());
        assertThat(second.position()).isEqualTo(1);
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content)
                .containsExactly("question", "second answer");
        assertThat(store.messageCount(c.id())).isEqualTo(2);
        assertThat(store.versions(first.id())).extracting(MessageRecord::id).containsExactly(first.id(), second.id());
        assertThat(store.versions(question.id())).extracting(MessageRecord::id).containsExactly(question.id());
        assertThat(store.tree(c.id())).hasSize(3);
    }

    @Test
    void selectingAnEarlierVersionShowsItsNewestDescendants() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord question = store.append(c.id(), Role.USER, "question");
        MessageRecord first = store.append(c.id(), Role.ASSISTANT, "first");
        store.append(c.id(), Role.USER, "follow-up");
        MessageRecord older = store.append(c.id(), Role.ASSISTANT, "older reply");
        MessageRecord newer = store.append(c.id(), older.parentId(), Role.ASSISTANT, "newer reply");
        store.append(c.id(), question.id(), Role.ASSISTANT, "second");

        store.select(first.id());

        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::id)
                .containsExactly(question.id(), first.id(), older.parentId(), newer.id());
        assertThat(store.append(c.id(), Role.USER, "after the newer reply").parentId()).isEqualTo(newer.id());
    }

    @Test
    void anEditedFirstMessageIsABranchOfItsOwn() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord original = store.append(c.id(), Role.USER, "original");
        store.append(c.id(), Role.ASSISTANT, "reply to the original");
        MessageRecord edited = store.append(c.id(), null, Role.USER, "edited");

        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content).containsExactly("edited");
        assertThat(store.versions(edited.id())).extracting(MessageRecord::content).containsExactly("original", "edited");

        store.select(original.id());
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content)
                .containsExactly("original", "reply to the original");
    }

    @Test
    void deletingTheSelectedVersionShowsTheNewestOtherOne() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord question = store.append(c.id(), Role.USER, "question");
        store.append(c.id(), Role.ASSISTANT, "first");
        store.append(c.id(), question.id(), Role.ASSISTANT, "second");
        MessageRecord third = store.append(c.id(), question.id(), Role.ASSISTANT, "third");

        store.deleteMessage(third.id());
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content)
                .containsExactly("question", "second");

        store.deleteMessage(question.id());
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
        assertThat(store.tree(c.id())).isEmpty();
        assertThat(store.append(c.id(), Role.USER, "again").parentId()).isNull();
    }

    @Test
    void searchFindsMessagesOnBranchesThatAreNotShown() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord question = store.append(c.id(), Role.USER, "question");
        MessageRecord hidden = store.append(c.id(), Role.ASSISTANT, "armadillos roll up");
        store.append(c.id(), question.id(), Role.ASSISTANT, "pangolins roll up");

        assertThat(store.search("armadillos", 10)).extracting(SearchHit::messageId).containsExactly(hidden.id());
    }

    @Test
    void aDeletedConversationIsHiddenUntilRestored() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.delete(c.id());
        assertThat(store.conversations()).isEmpty();
        assertThat(store.conversation(c.id())).isEmpty();
        store.restore(c.id());
        assertThat(store.conversations()).hasSize(1);
    }

    @Test
    void renameAndSettingsAreKept() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.rename(c.id(), "renamed");
        var settings = new ConversationSettings("sys", 0.5, null, null, null, null, null, null, null);
        store.updateSettings(c.id(), "other", settings);
        ConversationRecord saved = store.conversation(c.id()).orElseThrow();
        assertThat(saved.title()).isEqualTo("renamed");
        assertThat(saved.model()).isEqualTo("other");
        assertThat(saved.settings()).isEqualTo(settings);
    }

    @Test
    void searchFindsMessagesAndMarksTheMatch() {
        ConversationRecord c = store.create("trip", "m", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "Flights to Paris in May");
        List<SearchHit> hits = store.search("paris", 10);
        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).snippet()).isEqualTo("Flights to [[Paris]] in May");
    }

    @Test
    void concurrentAppendsAreAllKept() throws InterruptedException {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 250; i++) {
                    store.append(c.id(), Role.USER, "x");
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(store.messageCount(c.id())).isEqualTo(1000);
        assertThat(store.messages(c.id(), 999, 1).get(0).position()).isEqualTo(999);
    }

    @Test
    void conversationsArePagedInTheSameOrder() {
        ConversationRecord older = store.create("older", "m", ConversationSettings.DEFAULTS);
        ConversationRecord newer = store.create("newer", "m", ConversationSettings.DEFAULTS);
        store.append(older.id(), Role.USER, "back to this one");

        assertThat(store.conversations()).extracting(ConversationRecord::id).containsExactly(older.id(), newer.id());
        assertThat(store.conversations(1, 5)).extracting(ConversationRecord::id).containsExactly(newer.id());
    }

    @Test
    void editingAUserMessageReplacesItsText() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord question = store.append(c.id(), Role.USER, "Whats the time?");
        store.editMessage(question.id(), "What's the time?");

        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content).containsExactly("What's the time?");
    }

    @Test
    void aStreamingAnswerIsReadBackUnfinishedAndTheFinalTextReplacesIt() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord answer = store.append(c.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Hello wor", "", MessageStats.NONE, null);
        assertThat(store.messages(c.id(), 0, 1)).singleElement().satisfies(m -> {
            assertThat(m.content()).isEqualTo("Hello wor");
            assertThat(m.finish()).isNull();
        });

        store.updateMessage(answer.id(), "Hello world", "", new MessageStats(2, 5, 10), FinishReason.CANCELLED);
        store.updateMessage(answer.id(), "Hello world and more", "", MessageStats.NONE, null);

        assertThat(store.messages(c.id(), 0, 1)).singleElement().satisfies(m -> {
            assertThat(m.finish()).isEqualTo(FinishReason.CANCELLED);
            assertThat(m.stats().tokens()).isEqualTo(2);
        });
    }

    @Test
    void theDurabilityBarrierCompletesOnceWhatWasQueuedIsSaved() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "keep me");

        assertThat(store.committed()).succeedsWithin(WAIT);
        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::content).containsExactly("keep me");
    }

    @Test
    void anAssistantMessageRecordsTheConversationsModel() {
        ConversationRecord c = store.create("c", "tiny-qwen2", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "hi");
        store.append(c.id(), Role.ASSISTANT, "hello");

        assertThat(store.messages(c.id(), 0, 10)).extracting(MessageRecord::model).containsExactly(null, "tiny-qwen2");
    }

    @Test
    void aReadRightAfterAStreamedUpdateShowsIt() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord answer = store.append(c.id(), Role.ASSISTANT, "");
        for (int words = 1; words <= 200; words++) {
            store.updateMessage(answer.id(), "word ".repeat(words), "", new MessageStats(words, 5, 10), null);
        }

        assertThat(store.messages(c.id(), 0, 1)).singleElement().satisfies(m -> {
            assertThat(m.content()).isEqualTo("word ".repeat(200));
            assertThat(m.stats().tokens()).isEqualTo(200);
        });
    }

    @Test
    void anAppendedMessageIsInAFreshStoreOnceTheBarrierCompletes() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "saved before anything else happens");

        assertThat(store.committed()).succeedsWithin(WAIT);
        assertThat(readAfresh(fresh -> fresh.messages(c.id(), 0, 10))).extracting(MessageRecord::content)
                .containsExactly("saved before anything else happens");
    }

    @Test
    void theFinalAnswerIsInAFreshStoreOnceItsFutureCompletes() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord answer = store.append(c.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Hello wor", "", MessageStats.NONE, null);

        assertThat(store.updateMessage(answer.id(), "Hello world", "", new MessageStats(2, 5, 10), FinishReason.STOP))
                .succeedsWithin(WAIT);
        assertThat(readAfresh(fresh -> fresh.messages(c.id(), 0, 1))).singleElement().satisfies(m -> {
            assertThat(m.content()).isEqualTo("Hello world");
            assertThat(m.finish()).isEqualTo(FinishReason.STOP);
        });
    }

    @Test
    void streamedTextIsInAFreshStoreOnceItsFutureCompletes() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord answer = store.append(c.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "Once", "", MessageStats.NONE, null);

        assertThat(store.updateMessage(answer.id(), "Once upon", "", MessageStats.NONE, null)).succeedsWithin(WAIT);
        assertThat(readAfresh(fresh -> fresh.messages(c.id(), 0, 1))).extracting(MessageRecord::content)
                .containsExactly("Once upon");
    }

    @Test
    void aDeleteIsInAFreshStoreOnceItsFutureCompletes() {
        ConversationRecord kept = store.create("kept", "m", ConversationSettings.DEFAULTS);
        ConversationRecord gone = store.create("gone", "m", ConversationSettings.DEFAULTS);

        assertThat(store.delete(gone.id())).succeedsWithin(WAIT);
        assertThat(readAfresh(ConversationStore::conversations)).extracting(ConversationRecord::id)
                .containsExactly(kept.id());
    }

    @Test
    void aDeletedMessageIsGoneFromAFreshStoreOnceItsFutureCompletes() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "one");
        MessageRecord two = store.append(c.id(), Role.ASSISTANT, "two");

        assertThat(store.deleteMessage(two.id())).succeedsWithin(WAIT);
        assertThat(readAfresh(fresh -> fresh.tree(c.id()))).extracting(MessageRecord::content).containsExactly("one");
    }

    @Test
    void aSelectionIsInAFreshStoreOnceItsFutureCompletes() {
        ConversationRecord c = store.create("c", "m", ConversationSettings.DEFAULTS);
        MessageRecord question = store.append(c.id(), Role.USER, "question");
        MessageRecord first = store.append(c.id(), Role.ASSISTANT, "first");
        store.append(c.id(), question.id(), Role.ASSISTANT, "second");

        assertThat(store.select(first.id())).succeedsWithin(WAIT);
        assertThat(readAfresh(fresh -> fresh.messages(c.id(), 0, 10))).extracting(MessageRecord::content)
                .containsExactly("question", "first");
    }
}
