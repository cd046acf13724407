package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.parlance.chat.template.BudgetExceededException;
import dev.parlance.chat.template.Callable;
import dev.parlance.chat.template.RenderCancelledException;
import dev.parlance.chat.template.RenderLimits;
import dev.parlance.chat.template.TemplateException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's chat template is rendered within limits that name the model, and can be cancelled. */
class ChatTemplateBudgetTest {
    private static final String ENDLESS_LOOPS =
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}";

    @TempDir
    Path models;

    private Path modelWithTemplate(String name, String template) throws IOException {
        Path folder = Files.createDirectories(models.resolve(name));
        JsonObject config = new JsonObject();
        config.addProperty("chat_template", template);
        config.addProperty("eos_token", "</s>");
        Files.writeString(folder.resolve("tokenizer_config.json"), config.toString(), StandardCharsets.UTF_8);
        return folder;
    }

    @Test
    void aModelsEndlessTemplateFailsNamingTheModelFolder() throws IOException {
        ChatTemplate template = ChatTemplate.fromModelFolder(modelWithTemplate("Loopy-7B", ENDLESS_LOOPS));
        assertThatThrownBy(() -> template.render(List.of(Message.user("hi")), true))
                .isInstanceOf(BudgetExceededException.class)
                .hasMessage("the chat template of Loopy-7B exceeded its step budget (1,000,000 steps)");
    }

    @Test
    void aUsersOverrideKeepsTheModelsName() throws IOException {
        ChatTemplate template = ChatTemplate.fromModelFolder(modelWithTemplate("Plain-1B", "{{ messages[0].content }}"))
                .withSource("{{ 'x' * 10000000000 }}");
        assertThatThrownBy(() -> template.render(List.of(Message.user("hi")), true))
                .isInstanceOf(TemplateException.class)
                .hasMessage("the chat template of Plain-1B exceeded its output budget (64,000,000 characters)");
    }

    @Test
    void aTemplateWithoutAModelIsCalledTheChatTemplate() {
        ChatTemplate template = ChatTemplate.fromSource(ENDLESS_LOOPS, Map.of());
        assertThatThrownBy(() -> template.render(List.of(Message.user("hi")), true))
                .hasMessage("the chat template exceeded its step budget (1,000,000 steps)");
    }

    @Test
    void limitsCanBeChosenPerTemplate() {
        ChatTemplate template = ChatTemplate.fromSource("{% for m in messages %}{{ m.content }}{% endfor %}", Map.of())
                .withLimits(new RenderLimits(3, 1000, Duration.ofSeconds(5), 10));
        assertThat(template.render(List.of(Message.user("a")), false)).isEqualTo("a");
        assertThatThrownBy(() -> template.render(List.of(Message.user("a"), Message.assistant("b")), false))
                .hasMessage("the chat template exceeded its step budget (3 steps)");
    }

    @Test
    void stoppingARenderEndsItPromptly() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        ChatTemplate template = ChatTemplate.fromModelFolder(modelWithTemplate("Slow-3B",
                "{{ started() }}" + ENDLESS_LOOPS)).withLimits(new RenderLimits(Long.MAX_VALUE, Integer.MAX_VALUE,
                Duration.ofDays(1), 100));
        Callable signal = (a, k) -> {
            started.countDown();
            return "";
        };
        CompletableFuture<String> prompt = CompletableFuture.supplyAsync(() -> template.render(
                List.of(Map.of("role", "user", "content", "hi")), true, Map.of("started", signal), stop::get));
        assertThat(started.await(30, TimeUnit.SECONDS)).as("the render started").isTrue();
        stop.set(true);
        assertThatThrownBy(() -> prompt.get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(RenderCancelledException.class)
                .hasMessage("rendering the chat template of Slow-3B was cancelled");
    }

    @Test
    void aCancelFlagThatIsNeverSetChangesNothing() throws IOException {
        ChatTemplate template = ChatTemplate.fromModelFolder(modelWithTemplate("Echo-1B",
                "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"));
        assertThat(template.render(List.of(Message.user("hi"), Message.assistant("yo")), false, () -> false))
                .isEqualTo("[user]hi[assistant]yo");
    }
}
