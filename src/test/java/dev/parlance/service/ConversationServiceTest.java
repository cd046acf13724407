package dev.parlance.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;
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
    private int cancels;
    /** Answers as the app's engine does: a new answer, or one continued from its first tokens. */
    private final ConversationService.Answerer answerer = new ConversationService.Answerer() {
        @Override
        public Generation answer(List<Message> prompt, BooleanSupplier stopRequested, ChatListener listener) {
            return ask(prompt, stopRequested, listener);
        }

        @Override
        public Generation continueAnswer(List<Message> prompt, List<TokenLogprob> answerPrefix,
                BooleanSupplier stopRequested, ChatListener listener) {
            asked.add(new Asked(List.copyOf(prompt), List.copyOf(answerPrefix), stopRequested, listener));
            return () -> cancels++;
        }
    };
    private final ConversationService service =
            new ConversationService(store, answerer, () -> "tiny", () -> settings);

    /** One call of the answerer; the test drives its listener. */
    private record Asked(List<Message> prompt, List<TokenLogprob> answerPrefix, BooleanSupplier stopRequested,
            ChatListener listener) {}

    private Generation ask(List<Message> prompt, BooleanSupplier stopRequested, ChatListener listener) {
        asked.add(new Asked(List.copyOf(prompt), List.of(), stopRequested, listener));
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

    /** An answer's tokens as the engine reports them: each token with itself and "X" as alternatives. */
    private static TokenTrace traceOf(String... tokens) {
        List<TokenLogprob> generated = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            generated.add(new TokenLogprob(10 + i, tokens[i], -0.1, List.of(
                    new TokenLogprob.Alternative(10 + i, tokens[i], -0.1),
                    new TokenLogprob.Alternative(99, " X", -2.5))));
        }
        return new TokenTrace(new int[] {1, 2, 3}, generated, 0);
    }

    /** Writes an answer token by token, telling its tokens as the engine does. */
    private void answerInTokens(String... tokens) {
        last().listener().onText(String.join("", tokens));
        last().listener().onTokens(traceOf(tokens));
        last().listener().onFinished(FinishReason.STOP, stats(tokens.length), 0);
    }

    @Test
    void continuingWithAnotherTokenWritesASelectedNewVersionFromTheTokensBeforeIt() {
        service.send("Tell a story", new Heard());
        answerInTokens("Once", " upon", " a", " time");
        String original = saved().get(1).id();
        Heard heard = new Heard();

        String branch = service.continueWith(original, 2, 99, heard);

        assertThat(last().prompt()).containsExactly(Message.user("Tell a story"));
        assertThat(last().answerPrefix()).extracting(TokenLogprob::id).containsExactly(10, 11, 99);
        assertThat(service.answering()).isTrue();
        last().listener().onText("Once upon X");   // the engine tells the prefix's text first
        last().listener().onText(" fox");
        last().listener().onFinished(FinishReason.STOP, stats(2), 0);

        assertThat(heard.text).hasToString("Once upon X fox");
        assertThat(service.messages()).extracting(MessageRecord::id, MessageRecord::content)
                .containsExactly(tuple(saved().getFirst().id(), "Tell a story"), tuple(branch, "Once upon X fox"));
        assertThat(service.versions(original)).extracting(MessageRecord::content)
                .containsExactly("Once upon a time", "Once upon X fox");
        assertThat(service.versionsOfPath().get(branch)).isEqualTo(new ConversationService.Version(1, 2, original, null));
        service.select(original);
        assertThat(service.messages()).extracting(MessageRecord::content).containsExactly("Tell a story", "Once upon a time");
    }

    @Test
    void theContinuedVersionsTokensAreKeptForTheNextBranch() {
        service.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");
        String branch = service.continueWith(saved().get(1).id(), 1, 99, new Heard());
        TokenTrace continued = traceOf("Once", " X", "!");

        last().listener().onTokens(continued);
        last().listener().onFinished(FinishReason.STOP, stats(1), 0);

        assertThat(service.tokens(branch)).isEqualTo(continued);
    }

    @Test
    void continuingAnEarlierAnswerLeavesTheLaterTurnsOnTheOtherBranch() {
        service.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");
        String first = saved().get(1).id();
        service.send("Longer", new Heard());
        answer("Once upon a long time");

        service.continueWith(first, 0, 99, new Heard());
        answer(" X and so on");

        assertThat(service.messages()).extracting(MessageRecord::content).containsExactly("Tell a story", " X and so on");
        service.select(first);
        assertThat(service.messages()).extracting(MessageRecord::content)
                .containsExactly("Tell a story", "Once upon", "Longer", "Once upon a long time");
    }

    @Test
    void stoppingAContinuedAnswerCancelsItAndKeepsItsText() {
        service.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");
        service.continueWith(saved().get(1).id(), 1, 99, new Heard());
        last().listener().onText("Once X");

        service.stop();
        last().listener().onFinished(FinishReason.CANCELLED, stats(0), 0);

        assertThat(cancels).isEqualTo(1);
        assertThat(last().stopRequested().getAsBoolean()).isTrue();
        assertThat(saved().getLast()).extracting(MessageRecord::content, MessageRecord::finish)
                .containsExactly("Once X", FinishReason.CANCELLED);
    }

    @Test
    void aContinuedAnswerSavesItsSeedLikeAnyAnswer() {
        service.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");
        service.continueWith(saved().get(1).id(), 1, 99, new Heard());

        service.recordSeed(4242);
        answer("Once X");

        assertThat(saved().getLast().stats().seed()).isEqualTo(4242);
    }

    @Test
    void anAnswerWithoutItsTokensCannotBeContinuedAndSaysWhy() {
        service.send("Tell a story", new Heard());
        answer("Once upon a time");

        assertThatThrownBy(() -> service.continueWith(saved().get(1).id(), 0, 99, new Heard()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("written before the app last started");
        assertThat(service.versions(saved().get(1).id())).hasSize(1);
    }

    @Test
    void anAnswerCannotBeContinuedWithAnotherModelsTokens() {
        String[] inUse = {"tiny"};
        var switching = new ConversationService(store, answerer, () -> inUse[0], () -> settings);
        switching.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");
        inUse[0] = "other";

        assertThatThrownBy(() -> switching.continueWith(switching.messages().get(1).id(), 0, 99, new Heard()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("written by tiny");
    }

    @Test
    void aTokenThatIsNotAnAlternativeIsRefused() {
        service.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");

        assertThatThrownBy(() -> service.continueWith(saved().get(1).id(), 0, 12345, new Heard()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(service.messages()).hasSize(2);
    }

    @Test
    void aFrontEndThatCannotContinueFromATokenFailsTheNewVersionSayingSo() {
        var terminal = new ConversationService(store, this::ask, () -> "tiny", () -> settings);
        terminal.send("Tell a story", new Heard());
        answerInTokens("Once", " upon");
        Heard heard = new Heard();

        terminal.continueWith(terminal.messages().get(1).id(), 1, 99, heard);

        assertThat(heard.failure).isInstanceOf(UnsupportedOperationException.class);
        assertThat(terminal.answering()).isFalse();
    }

    @Test
    void aContinuedVersionSurvivesARestart() {
        String original;
        String branch;
        try (var sqlite = SqliteConversationStore.open(dir)) {
            var before = new ConversationService(sqlite, answerer, () -> "tiny", () -> settings);
            before.send("Tell a story", new Heard());
            answerInTokens("Once", " upon", " a", " time");
            original = before.messages().get(1).id();
            branch = before.continueWith(original, 1, 99, new Heard());
            last().listener().onText("Once X");
            last().listener().onText(" there");
            last().listener().onFinished(FinishReason.LENGTH, stats(2), 0);
        }
        try (var sqlite = SqliteConversationStore.open(dir)) {
            var after = new ConversationService(sqlite, answerer, () -> "tiny", () -> settings);
            after.open(sqlite.conversations().getFirst().id());

            assertThat(after.messages()).extracting(MessageRecord::id, MessageRecord::content)
                    .containsExactly(tuple(after.messages().getFirst().id(), "Tell a story"), tuple(branch, "Once X there"));
            assertThat(after.versions(branch)).extracting(MessageRecord::id).containsExactly(original, branch);
            assertThat(after.tokens(branch)).as("tokens are not saved").isNull();
        }
    }

    @Test
    void versionsAndBranchesSurviveARestart() {
        try (var sqlite = SqliteConversationStore.open(dir)) {
            var before = new ConversationService(sqlite, answerer, () -> "tiny", () -> settings);
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
            var after = new ConversationService(sqlite, answerer, () -> "tiny", () -> settings);
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
