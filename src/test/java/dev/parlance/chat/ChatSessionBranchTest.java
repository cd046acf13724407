package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.GenerationResult;
import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.TokenLogprob;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An answer continued from its first tokens: the token view's branch ("continue with this token"). */
class ChatSessionBranchTest {
    private static final List<Message> CONVERSATION = List.of(Message.user("Hello there"));
    private static final int LENGTH = 24;

    private static Path fixture() {
        try {
            return Path.of(ChatSessionBranchTest.class.getResource("/fixtures/tiny-gemma2/config.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What one reply told its listener. */
    private static final class Heard implements ChatListener {
        final List<String> deltas = new ArrayList<>();
        TokenTrace trace;

        @Override
        public void onText(String delta) {
            deltas.add(delta);
        }

        @Override
        public void onTokens(TokenTrace tokens) {
            trace = tokens;
        }

        String text() {
            return String.join("", deltas);
        }
    }

    private static int[] ids(List<TokenLogprob> tokens) {
        return tokens.stream().mapToInt(TokenLogprob::id).toArray();
    }

    @Test
    void continuingWithTheGreedyTokenWritesTheUninterruptedGreedyAnswer() throws Exception {
        Path folder = fixture();
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 256);
                ChatSession fresh = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 256)) {
            Heard original = new Heard();
            ChatReply whole = session.reply(CONVERSATION, SamplingConfig.greedy(LENGTH), original, () -> false);
            assertThat(original.trace.answer()).hasSize(LENGTH);
            int index = 9;
            int greedy = original.trace.answer().get(index).top().getFirst().id();
            for (ChatSession continuing : List.of(session, fresh)) {   // from the KV cache, and read anew
                Heard branch = new Heard();
                ChatReply rest = continuing.reply(CONVERSATION, SamplingConfig.greedy(LENGTH), 0,
                        original.trace.branchAt(index, greedy), branch, () -> false);
                assertThat(ids(branch.trace.answer())).containsExactly(ids(original.trace.answer()));
                assertThat(branch.trace.prompt()).containsExactly(original.trace.prompt());
                assertThat(rest.answer()).isEqualTo(whole.answer());
                assertThat(branch.text()).isEqualTo(whole.answer());
            }
        }
    }

    @Test
    void continuingWithAnotherTokenStartsWithItAndGoesOnGreedilyAfterIt() throws Exception {
        Path folder = fixture();
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 256);
                Generator reference = new Generator(model, 256)) {
            Heard original = new Heard();
            session.reply(CONVERSATION, SamplingConfig.greedy(LENGTH), original, () -> false);
            int index = 5;
            TokenLogprob chosen = original.trace.answer().get(index);
            TokenLogprob.Alternative second = chosen.top().get(1);
            List<TokenLogprob> prefix = original.trace.branchAt(index, second.id());

            Heard branch = new Heard();
            ChatReply reply = session.reply(CONVERSATION, SamplingConfig.greedy(prefix.size() + 8), 0, prefix, branch,
                    () -> false);

            List<TokenLogprob> answer = branch.trace.answer();
            assertThat(answer.subList(0, index)).isEqualTo(original.trace.answer().subList(0, index));
            assertThat(answer.get(index)).isEqualTo(new TokenLogprob(second.id(), second.token(), second.logprob(),
                    chosen.top()));
            assertThat(answer).hasSize(index + 1 + reply.stats().generatedTokens());
            // the new tokens are what plain greedy decoding writes after the prompt and the prefix
            int[] read = Arrays.copyOf(branch.trace.prompt(), branch.trace.prompt().length + prefix.size());
            System.arraycopy(ids(prefix), 0, read, branch.trace.prompt().length, prefix.size());
            GenerationResult greedy = reference.generate(new Generator.Request(read, SamplingConfig.greedy(8),
                    Set.of(), 0, () -> false), (id, text, logprob) -> { });
            assertThat(ids(answer.subList(index + 1, answer.size()))).containsExactly(greedy.tokens());
            // the prefix's text comes first, at once, then only the new text
            String prefixText = model.tokenizer().decode(ids(prefix), true);
            assertThat(branch.deltas.getFirst()).isEqualTo(prefixText);
            assertThat(branch.text()).isEqualTo(prefixText + greedy.text()).isEqualTo(reply.answer());
        }
    }
}
