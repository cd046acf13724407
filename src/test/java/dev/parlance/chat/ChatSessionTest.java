package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.inference.ContextOverflowException;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatSessionTest {
    private static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    @TempDir
    Path dir;

    private static final ChatListener IGNORE = new ChatListener() {
        @Override
        public void onText(String delta) { }

        @Override
        public void onReasoning(String delta) { }
    };

    @Test
    void aNewTurnOnlyComputesItsOwnTokensAndContinuesAsAFreshSessionWould() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        try (LanguageModel model = LanguageModel.load(folder, f -> { })) {
            // a ChatML template over the story model: real English answers that re-tokenize stably
            ChatTemplate template = ChatTemplate.fromSource(CHATML, Map.of("bos_token", "<s>"));
            var sampling = SamplingConfig.greedy(24);
            List<Message> conversation = new ArrayList<>(List.of(Message.user("Once upon a time")));
            ChatReply third;
            try (ChatSession session = new ChatSession(model, template, 512)) {
                ChatReply first = session.reply(conversation, sampling, IGNORE, () -> false);
                int firstPrompt = first.stats().promptTokens();
                conversation.add(Message.assistant(first.answer()));
                conversation.add(Message.user("Lily wanted"));
                ChatReply second = session.reply(conversation, sampling, IGNORE, () -> false);
                int newUserTokens = model.tokenizer().encodeRaw("<|im_end|>\n<|im_start|>user\nLily wanted<|im_end|>\n"
                        + "<|im_start|>assistant\n").length;
                assertThat(second.stats().reusedTokens()).isGreaterThan(firstPrompt);
                assertThat(second.stats().promptTokens() - second.stats().reusedTokens())
                        .isBetween(1, newUserTokens + 2);
                conversation.add(Message.assistant(second.answer()));
                conversation.add(Message.user("The little dog"));
                third = session.reply(conversation, sampling, IGNORE, () -> false);
                assertThat(third.stats().promptTokens() - third.stats().reusedTokens()).isLessThan(newUserTokens + 4);
            }
            try (ChatSession fresh = new ChatSession(model, template, 512)) {
                ChatReply again = fresh.reply(conversation, sampling, IGNORE, () -> false);
                assertThat(again.stats().reusedTokens()).isZero();
                assertThat(again.answer()).isEqualTo(third.answer());
            }
        }
    }

    @Test
    void theOldestTurnsGoFirstWhenTheContextIsFullAndTheSystemPromptStays() throws Exception {
        Path folder = SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 5);
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 160)) {
            List<Message> conversation = new ArrayList<>(List.of(Message.system("Be brief.")));
            for (int i = 0; i < 4; i++) {
                conversation.add(Message.user("question number " + i));
                conversation.add(Message.assistant("answer number " + i));
            }
            conversation.add(Message.user("last"));
            ChatReply reply = session.reply(conversation, SamplingConfig.greedy(16), IGNORE, () -> false);
            assertThat(reply.droppedMessages()).isPositive().isEven();
            var kept = new ArrayList<>(conversation.subList(1 + reply.droppedMessages(), conversation.size()));
            kept.add(0, conversation.get(0));
            assertThat(reply.stats().promptTokens()).isEqualTo(model.tokenizer().encode(session.template().render(kept, true)).length);
        }
    }

    @Test
    void aSingleMessageLargerThanTheWindowIsAClearError() throws Exception {
        Path folder = SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 5);
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 64)) {
            var conversation = List.of(Message.system("s"), Message.user("x".repeat(200)));
            assertThatThrownBy(() -> session.reply(conversation, SamplingConfig.greedy(8), IGNORE, () -> false))
                    .isInstanceOf(ContextOverflowException.class).hasMessageContaining("tokens");
        }
    }

    @Test
    void theInspectorShowsTheExactPromptItsTokensAndEachMessagesShare() throws Exception {
        Path folder = SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 5);
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 0)) {
            var conversation = List.of(Message.system("sys"), Message.user("hi"));
            PromptInspection view = session.inspect(conversation);
            assertThat(view.prompt()).isEqualTo("<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
                    + "<|im_start|>assistant\n");
            assertThat(view.tokenIds()).hasSize(view.pieces().size()).hasSize(view.specialToken().size());
            assertThat(view.tokensPerMessage().stream().mapToInt(Integer::intValue).sum()).isEqualTo(view.tokenIds().size());
            assertThat(view.tokensPerMessage().get(0)).isEqualTo(2 + "system\nsys".length() + 1);
            assertThat(view.specialToken().stream().filter(b -> b).count()).isEqualTo(5);
            assertThat(view.contextLength()).isEqualTo(256);
        }
    }

    @Test
    void aStopWhileTheTemplateRendersEndsTheReplyAsCancelledWithNothingWritten() throws Exception {
        Path folder = SyntheticModel.write(dir.resolve("model"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);
        // a template that would loop for hours: only the stop ends it
        ChatTemplate endless = ChatTemplate.fromSource("{% for i in range(100000) %}{% for j in range(100000) %}"
                + "{% endfor %}{% endfor %}", Map.of());
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, endless, 64)) {
            ChatReply reply = session.reply(List.of(Message.user("hello")), SamplingConfig.greedy(4), IGNORE, () -> {
                stop.set(true); // the first poll asks to stop, as a Ctrl+C arriving mid-render would
                return stop.get();
            });
            assertThat(reply.finish()).isEqualTo(dev.parlance.inference.FinishReason.CANCELLED);
            assertThat(reply.answer()).isEmpty();
            assertThat(reply.stats().generatedTokens()).isZero();
        }
    }
}
