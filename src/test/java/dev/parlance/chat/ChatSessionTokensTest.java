package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.TokenLogprob;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An answer's {@link TokenTrace}: the prompt the model read and every token it chose, with alternatives. */
class ChatSessionTokensTest {
    private static Path fixture() {
        try {
            return Path.of(ChatSessionTokensTest.class.getResource("/fixtures/tiny-gemma2/config.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theListenerGetsThePromptAndEveryAnswerTokenOnceBeforeTheReplyEnds() throws Exception {
        Path folder = fixture();
        List<Message> conversation = List.of(Message.user("Hello there"));
        List<TokenTrace> traces = new ArrayList<>();
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 256)) {
            ChatReply reply = session.reply(conversation, SamplingConfig.greedy(10), new ChatListener() {
                @Override
                public void onText(String delta) { }

                @Override
                public void onTokens(TokenTrace trace) {
                    traces.add(trace);
                }
            }, () -> false);
            assertThat(traces).hasSize(1);
            TokenTrace trace = traces.getFirst();
            String prompt = session.template().render(conversation, true);
            assertThat(trace.prompt()).containsExactly(model.tokenizer().encode(prompt));
            assertThat(trace.answerStart()).isZero();
            assertThat(trace.answer()).hasSize(reply.stats().generatedTokens());
            for (TokenLogprob token : trace.answer()) {
                assertThat(token.top()).hasSize(5);
                assertThat(token.top().getFirst().id()).isEqualTo(token.id()); // greedy: the best one
            }
            int[] context = trace.contextOf(3);
            assertThat(context).hasSize(trace.prompt().length + 3);
            assertThat(context[trace.prompt().length + 2]).isEqualTo(trace.answer().get(2).id());
        }
    }

    @Test
    void aReasoningModelsThoughtsAreNotPartOfTheAnswersTokens() {
        TokenLogprob thought = new TokenLogprob(5, "hm", -0.1, List.of());
        TokenLogprob word = new TokenLogprob(7, "Yes", -0.2, List.of());
        var trace = new TokenTrace(new int[] {1, 2}, List.of(thought, thought, word), 2);
        assertThat(trace.answer()).containsExactly(word);
        assertThat(trace.contextOf(0)).containsExactly(1, 2, 5, 5);
    }
}
