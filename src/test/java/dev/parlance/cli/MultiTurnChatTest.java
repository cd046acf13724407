package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Role;
import dev.parlance.inference.SharedData;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Three turns of {@code parlance chat} with every family's fixture that has a chat template (and
 * GGUF files): after each turn, {@code /inspect} must show the whole conversation so far, earlier
 * answers included, exactly as the family's template writes it. The expected prompts are written
 * out by hand from each fixture's template, not rendered by the engine under test.
 */
class MultiTurnChatTest {
    private static final List<String> TURNS = List.of("Hello there", "Tell me more", "Thanks, bye");
    private static final String DEFAULT_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n";

    @TempDir
    Path dir;

    /** How a fixture's template writes a conversation that ends with a user message, with the generation prompt. */
    enum Format {
        /** {@code <|im_start|>role\n...<|im_end|>\n}: tiny-qwen3, and the SmolLM3, Gemma 2, Phi-3 longrope and Qwen3-MoE fixtures. */
        CHATML(m -> chatMl(m) + "<|im_start|>assistant\n"),
        /** ChatML with Qwen2's default system message when there is none: tiny-qwen2, tiny-llama. */
        CHATML_DEFAULT_SYSTEM(m -> DEFAULT_SYSTEM + chatMl(m) + "<|im_start|>assistant\n"),
        /** tiny-qwen3's template with {@code enable_thinking} false: the answer opens with an empty think block. */
        CHATML_NO_THINKING(m -> chatMl(m) + "<|im_start|>assistant\n<think>\n\n</think>\n\n"),
        /** Gemma's turns, the assistant called "model". */
        GEMMA(m -> each(m, (role, text) -> "<start_of_turn>" + (role == Role.ASSISTANT ? "model" : "user") + "\n"
                + text + "<end_of_turn>\n") + "<start_of_turn>model\n"),
        /** Granite 3's roles. */
        GRANITE(m -> each(m, (role, text) -> "<|start_of_role|>" + role.wireName() + "<|end_of_role|>" + text
                + "<|end_of_text|>\n") + "<|start_of_role|>assistant<|end_of_role|>"),
        /** Phi-3's {@code <|user|>...<|end|>}. */
        PHI3(m -> each(m, (role, text) -> "<|" + role.wireName() + "|>" + text + "<|end|>") + "<|assistant|>");

        private final Function<List<MessageRecord>, String> render;

        Format(Function<List<MessageRecord>, String> render) {
            this.render = render;
        }

        private static String chatMl(List<MessageRecord> messages) {
            return each(messages, (role, text) -> "<|im_start|>" + role.wireName() + "\n" + text + "<|im_end|>\n");
        }

        private static String each(List<MessageRecord> messages, BiFunction<Role, String, String> f) {
            StringBuilder out = new StringBuilder();
            for (MessageRecord m : messages) {
                out.append(f.apply(m.role(), m.content()));
            }
            return out.toString();
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @CsvSource({
        "fixtures/tiny-llama, CHATML_DEFAULT_SYSTEM, ''",
        "fixtures/tiny-qwen2, CHATML_DEFAULT_SYSTEM, ''",
        "fixtures/tiny-qwen3, CHATML, ''",
        "fixtures/tiny-qwen3, CHATML, --thinking",
        "fixtures/tiny-qwen3, CHATML_NO_THINKING, --no-thinking",
        "fixtures/tiny-gemma3, GEMMA, ''",
        "fixtures/tiny-granite, GRANITE, ''",
        "fixtures/tiny-phi3, PHI3, ''",
        "local:tiny-gemma2, CHATML, ''",
        "local:tiny-phi3-longrope, CHATML, ''",
        "local:tiny-qwen3moe, CHATML, ''",
        "local:tiny-smollm3, CHATML, ''",
        "fixtures/gguf/tiny-llama-F32.gguf, CHATML_DEFAULT_SYSTEM, ''",
        "fixtures/gguf/tiny-qwen3-F32.gguf, CHATML_NO_THINKING, --no-thinking",
        "fixtures/gguf/tiny-qwen2-Q8_0.gguf, CHATML_DEFAULT_SYSTEM, ''",
    })
    void eachTurnsPromptHoldsTheEarlierTurnsInTheFamilysTemplate(String fixture, Format format, String option) {
        Path model = fixture.startsWith("local:")
                ? Path.of("src/test/resources/fixtures", fixture.substring("local:".length()))
                : SharedData.require(fixture);
        Path data = dir.resolve("data");
        List<String> input = new ArrayList<>();
        for (String turn : TURNS) {
            input.add(turn);
            input.add("/inspect");
        }
        List<String> args = new ArrayList<>(List.of("chat", "--model", model.toString(), "--temperature", "0",
                "--max-tokens", "6", "--save", "--data-dir", data.toString()));
        if (!option.isEmpty()) {
            args.add(option);
        }

        CliRun.Result result = CliRun.run(String.join("\n", input) + "\n", args.toArray(new String[0]));

        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.err()).doesNotContain("rejects", "too long", "failed", "no thinking switch");
        List<MessageRecord> messages;
        try (SqliteConversationStore store = SqliteConversationStore.open(data)) {
            messages = store.messages(store.conversations().get(0).id(), 0, 10);
        }
        assertThat(messages).extracting(MessageRecord::role).containsExactly(
                Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT);
        List<String> prompts = inspectedPrompts(result.out());
        assertThat(prompts).hasSize(TURNS.size());
        for (int turn = 0; turn < TURNS.size(); turn++) {
            String expected = format.render.apply(messages.subList(0, 2 * turn + 1));
            assertThat(prompts.get(turn)).as("the prompt of turn %d", turn + 1).isEqualTo(expected);
        }
        assertThat(prompts.get(2)).contains(TURNS.get(0), TURNS.get(1), messages.get(1).content(),
                messages.get(3).content());
    }

    /** Every prompt that /inspect printed, in order. */
    private static List<String> inspectedPrompts(String out) {
        List<String> prompts = new ArrayList<>();
        String open = ChatRepl.PROMPT_HEADER + "\n";
        String close = "\n" + ChatRepl.TOKENS_HEADER;
        int at = out.indexOf(open);
        while (at >= 0) {
            int end = out.indexOf(close, at);
            prompts.add(out.substring(at + open.length(), end));
            at = out.indexOf(open, end);
        }
        return prompts;
    }
}
