package dev.parlance.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConversationServiceTest {
    @TempDir
    Path dir;

    private final ConversationStore store = new InMemoryConversationStore();
    private final List<Asked> asked = new ArrayList<>();
    private ConversationSettings settings = ConversationSettings.DEFAULTS;
    private final ConversationService service =
            new ConversationService(store, this::ask, () -> "tiny", () -> settings);

    /** One call of the answerer; the test drives its listener. */
    private record Asked(List<Message> prompt, BooleanSupplier stopRequested, ChatListener listener) {}

    private Generation ask(List<Message> prompt, BooleanSupplier stopRequested, ChatListener listener) {
        asked.add(new Asked(List.copyOf(prompt), stopRequested, listener));
        return () -> { };
    }

    private Asked last() {
        return asked.getLast();
    }

    private static GenerationStats stats(int tokens) {
        return new GenerationStats(10, 0, tokens, 40, 30, 100);
    }

    /** Records what a front end is told. */
    private static final class Heard implements ChatListener {
        final StringBuilder text = new StringBuilder();
        FinishReason finish;
        Throwable failure;

        @Override
        public void onText(String delta) {
            text.append(delta);
        }

        @Override
        public void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages) {
            finish = reason;
        }

        @Override
        public void onFailed(Throwable error) {
            failure = error;
        }
    }

    private List<MessageRecord> saved() {
        return store.messages(service.conversationId(), 0, 100);
    }

    @Test
    void theUsersMessageIsCommittedToTheDatabaseBeforeTheModelIsAsked() throws Exception {
        try (SqliteConversationStore sqlite = SqliteConversationStore.open(dir)) {
            AtomicReference<String> onDisk = new AtomicReference<>();
            var durable = new ConversationService(sqlite, (prompt, stop, listener) -> {
                onDisk.set(userMessageOnDisk(sqlite.file()));
                return () -> { };
            }, () -> "tiny", () -> settings);

            durable.send("A long question", new Heard());

            assertThat(onDisk.get()).isEqualTo("A long question");
        }
    }

    /** Read through a connection of its own: what another process would find after a crash. */
    private static String userMessageOnDisk(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT content FROM messages WHERE role = 'USER'")) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theAnswersEndIsCommittedBeforeItsListenerHearsOfIt() throws Exception {
        try (SqliteConversationStore sqlite = SqliteConversationStore.open(dir)) {
            AtomicReference<ChatListener> answer = new AtomicReference<>();
            var durable = new ConversationService(sqlite, (prompt, stop, listener) -> {
                answer.set(listener);
                return () -> { };
            }, () -> "tiny", () -> settings);
            AtomicReference<String> onDisk = new AtomicReference<>();
            durable.send("Hi", new ChatListener() {
                @Override
                public void onText(String delta) {}

                @Override
                public void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages) {
                    onDisk.set(answerOnDisk(sqlite.file()));
                }
            });

            answer.get().onText("Hello");
            answer.get().onFinished(FinishReason.STOP, stats(1), 0);

            assertThat(onDisk.get()).isEqualTo("Hello STOP");
        }
    }

    private static String answerOnDisk(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT content, finish FROM messages WHERE role = 'ASSISTANT'")) {
            return rows.next() ? rows.getString(1) + " " + rows.getString(2) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theAnswerStreamsIntoTheStoreAndItsEndIsSavedWithItsFigures() {
        Heard heard = new Heard();
        service.send("Hi", heard);
        last().listener().onText("Hel");
        assertThat(saved().get(1).content()).isEqualTo("Hel");
        assertThat(saved().get(1).finish()).isNull();

        last().listener().onText("lo");
        last().listener().onFinished(FinishReason.STOP, stats(2), 0);

        assertThat(saved()).extracting(MessageRecord::content, MessageRecord::finish)
                .containsExactly(tuple("Hi", null), tuple("Hello", FinishReason.STOP));
        assertThat(saved().get(1).stats().tokens()).isEqualTo(2);
        assertThat(heard.text).hasToString("Hello");
        assertThat(heard.finish).isEqualTo(FinishReason.STOP);
        assertThat(service.answering()).isFalse();
    }

    @Test
    void aSecondMessageWhileAnsweringIsRefused() {
        service.send("Hi", new Heard());
        assertThatThrownBy(() -> service.send("Again", new Heard())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopReachesAnAnswererThatRunsOnTheCallingThread() {
        AtomicReference<BooleanSupplier> flag = new AtomicReference<>();
        var polling = new ConversationService(store, (prompt, stopRequested, listener) -> {
            flag.set(stopRequested);
            return () -> { };
        }, () -> "tiny", () -> settings);

        polling.send("Tell me a story", new Heard());
        assertThat(flag.get().getAsBoolean()).isFalse();
        polling.stop();

        assertThat(flag.get().getAsBoolean()).isTrue();
    }

    private void answer(String text) {
        last().listener().onText(text);
        last().listener().onFinished(FinishReason.STOP, stats(1), 0);
    }

    @Test
    void regeneratingKeepsTheEarlierAnswersAsVersionsOfTheTurn() {
        service.send("Hi", new Heard());
        answer("first");
        String first = saved().get(1).id();

        String second = service.regenerate(new Heard());
        assertThat(last().prompt()).containsExactly(Message.user("Hi"));
        answer("second");
        service.regenerate(new Heard());
        answer("third");

        assertThat(saved()).extracting(MessageRecord::content).containsExactly("Hi", "third");
        assertThat(service.versions(first)).extracting(MessageRecord::content)
                .containsExactly("first", "second", "third");
        String third = saved().get(1).id();
        assertThat(service.versionsOfPath().get(third)).isEqualTo(new ConversationService.Version(2, 3, second, null));

        service.select(first);
        assertThat(service.messages()).extracting(MessageRecord::content).containsExactly("Hi", "first");
        service.send("And then?", new Heard());
        assertThat(last().prompt()).containsExactly(Message.user("Hi"), Message.assistant("first"),
                Message.user("And then?"));
    }

    @Test
    void editingAMessageStartsABranchAndKeepsTheOldOne() {
        service.send("Hi", new Heard());
        answer("hello");
        String first = saved().getFirst().id();
        service.send("More", new Heard());
        answer("more");

        ConversationService.Exchange edit = service.editAndResend(first, "Hello", new Heard());

        assertThat(last().prompt()).containsExactly(Message.user("Hello"));
        answer("hello again");
        assertThat(saved()).extracting(MessageRecord::content).containsExactly("Hello", "hello again");
        assertThat(service.versions(edit.userMessageId())).extracting(MessageRecord::content)
                .containsExactly("Hi", "Hello");
        assertThat(service.versionsOfPath().get(edit.userMessageId()).previousId()).isEqualTo(first);

        service.select(first);
        assertThat(service.messages()).extracting(MessageRecord::content)
                .containsExactly("Hi", "hello", "More", "more");
    }

    @Test
    void deletingAMessageRemovesWhatFollowsItAndShowsAnotherVersion() {
        service.send("Hi", new Heard());
        answer("first");
        service.regenerate(new Heard());
        answer("second");
        service.send("More", new Heard());
        answer("more");
        String second = saved().get(1).id();

        service.delete(second);

        assertThat(service.messages()).extracting(MessageRecord::content).containsExactly("Hi", "first");
        assertThat(service.versionsOfPath().values()).allSatisfy(v -> assertThat(v.count()).isEqualTo(1));
    }

    @Test
    void branchingFromPartOfAnAnswerKeepsThePrefixAsANewVersion() {
        service.send("Tell a story", new Heard());
        answer("Once upon a time there was a fox.");
        String answer = saved().get(1).id();

        MessageRecord branch = service.branchFrom(answer, "Once upon a time");

        assertThat(branch.finish()).isEqualTo(FinishReason.CANCELLED);
        assertThat(saved()).extracting(MessageRecord::content).containsExactly("Tell a story", "Once upon a time");
        assertThat(service.versions(answer)).extracting(MessageRecord::content)
                .containsExactly("Once upon a time there was a fox.", "Once upon a time");
    }

    @Test
    void versionsAndBranchesSurviveARestart() {
        try (var sqlite = SqliteConversationStore.open(dir)) {
            var before = new ConversationService(sqlite, this::ask, () -> "tiny", () -> settings);
            before.send("Hi", new Heard());
            answer("first");
            before.regenerate(new Heard());
            answer("second");
            String first = before.messages().getFirst().id();
            before.editAndResend(first, "Hello", new Heard());
            answer("hello");
            before.select(first);
        }
        try (var sqlite = SqliteConversationStore.open(dir)) {
            var after = new ConversationService(sqlite, this::ask, () -> "tiny", () -> settings);
            after.open(sqlite.conversations().getFirst().id());

            assertThat(after.messages()).extracting(MessageRecord::content).containsExactly("Hi", "second");
            String answer = after.messages().get(1).id();
            assertThat(after.versions(answer)).extracting(MessageRecord::content).containsExactly("first", "second");
            assertThat(after.versions(after.messages().getFirst().id())).extracting(MessageRecord::content)
                    .containsExactly("Hi", "Hello");
            assertThat(sqlite.search("hello", 10)).isNotEmpty();
        }
    }

    @Test
    void aFailedTurnIsLeftOutOfLaterPromptsButRegeneratingItAsksTheQuestionAgain() {
        settings = new ConversationSettings("Be brief.", null, null, null, null, null, null, null, null);
        Heard heard = new Heard();
        service.send("Hi", heard);
        last().listener().onFailed(new IllegalStateException("the template rejects it"));
        assertThat(heard.failure).hasMessage("the template rejects it");
        assertThat(saved().get(1).finish()).isEqualTo(FinishReason.ERROR);

        service.send("Hello", new Heard());
        assertThat(last().prompt()).containsExactly(Message.system("Be brief."), Message.user("Hello"));
        last().listener().onFailed(new IllegalStateException("again"));

        service.regenerate(new Heard());
        assertThat(last().prompt()).containsExactly(Message.system("Be brief."), Message.user("Hello"));
    }

    @Test
    void openingAnotherConversationSavesTheRunningAnswerAsCancelledAndIgnoresItsLateText() {
        Heard heard = new Heard();
        service.send("Hi", heard);
        String first = service.conversationId();
        ChatListener old = last().listener();
        old.onText("partial");

        service.open(null);
        old.onText(" late");
        old.onFinished(FinishReason.CANCELLED, stats(1), 0);

        assertThat(store.messages(first, 0, 10).get(1))
                .extracting(MessageRecord::content, MessageRecord::finish)
                .containsExactly("partial", FinishReason.CANCELLED);
        assertThat(heard.text).hasToString("partial");
        assertThat(heard.finish).isNull();
        assertThat(service.answering()).isFalse();
    }

    @Test
    void anAnswerThatCannotStartIsSavedAsFailedAndTheUsersMessageStays() {
        var failing = new ConversationService(store, (prompt, stop, listener) -> {
            throw new IllegalStateException("No model is loaded.");
        }, () -> "tiny", () -> settings);
        Heard heard = new Heard();

        failing.send("Hi", heard);

        assertThat(heard.failure).hasMessage("No model is loaded.");
        assertThat(store.messages(failing.conversationId(), 0, 10))
                .extracting(MessageRecord::role, MessageRecord::finish)
                .containsExactly(tuple(Role.USER, null), tuple(Role.ASSISTANT, FinishReason.ERROR));
        assertThat(failing.answering()).isFalse();
    }

    @Test
    void anUntitledConversationIsNamedByItsNextMessage() {
        String id = store.create("", "tiny", ConversationSettings.DEFAULTS).id();
        service.open(id);

        service.send("Where is Lisbon?", new Heard());

        assertThat(store.conversation(id).orElseThrow().title()).isEqualTo("Where is Lisbon?");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Hello|Hello",
        "'  '|Chat",
        "First line\\nsecond line|First line",
        "Plan a three day trip to Lisbon with a budget of five hundred euros|Plan a three day trip to Lisbon with a budget of five…",
        "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b|Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"
    })
    void theTitleIsTheFirstLineCutAtAWordNearSixtyCharacters(String message, String title) {
        assertThat(ConversationService.title(message.replace("\\n", "\n"))).isEqualTo(title);
    }
}
