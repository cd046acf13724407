package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.chat.template.RenderLimits;
import dev.parlance.chat.template.TemplateException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of the shared chat-template golden suite ({@code ../shared/chat-templates}): real
 * published templates rendered by Python jinja2 as transformers configures it. See that folder's
 * README for how the variables are bound.
 */
class ChatTemplateGoldenTest {
    static final Path SUITE = Path.of("..", "shared", "chat-templates");

    /** The suite's frozen {@code strftime_now}: Friday 2024-07-26 00:00:00. */
    static final Clock FROZEN = Clock.fixed(
            LocalDateTime.of(2024, 7, 26, 0, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    /**
     * A hundredth of the default steps and characters and a tenth of its macro depth: the real
     * templates must render well inside the budget (docs/chat-templates.md has their measured needs).
     */
    static final RenderLimits HUNDREDTH = new RenderLimits(RenderLimits.DEFAULT.steps() / 100,
            RenderLimits.DEFAULT.characters() / 100, RenderLimits.DEFAULT.time(), RenderLimits.DEFAULT.depth() / 10);

    @BeforeAll
    static void suiteIsPresent() {
        Assumptions.assumeTrue(Files.isDirectory(SUITE),
                "chat-template golden suite not found at " + SUITE.toAbsolutePath().normalize()
                        + " (../shared/chat-templates relative to the project); skipping");
    }

    static Stream<Arguments> expectedCases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        if (!Files.isDirectory(SUITE)) {
            return cases.stream();
        }
        try (Stream<Path> files = Files.list(SUITE.resolve("expected"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                String model = file.getFileName().toString().replace(".jsonl", "");
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (String line : lines) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonObject c = JsonParser.parseString(line).getAsJsonObject();
                    String name = model + " / " + c.get("context").getAsString()
                            + (c.get("add_generation_prompt").getAsBoolean() ? " + generation prompt" : "");
                    cases.add(Arguments.of(name, model, c));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expectedCases")
    void rendersExactlyAsJinja2(String name, String model, JsonObject c) throws IOException {
        ChatTemplate template = ChatTemplate.fromSource(templateSource(model), tokens(c)).withClock(FROZEN)
                .withLimits(HUNDREDTH);
        List<Map<String, Object>> messages = context(c.get("context").getAsString());
        boolean generationPrompt = c.get("add_generation_prompt").getAsBoolean();
        if (c.has("error")) {
            assertThatThrownBy(() -> template.render(messages, generationPrompt, Map.of()))
                    .isInstanceOf(TemplateException.class)
                    .hasMessageContaining(c.get("error").getAsString());
        } else {
            assertThat(template.render(messages, generationPrompt, Map.of()))
                    .isEqualTo(c.get("expected").getAsString());
        }
    }

    static Stream<Arguments> templatesWithoutExpectations() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        if (!Files.isDirectory(SUITE)) {
            return cases.stream();
        }
        try (Stream<Path> files = Files.list(SUITE.resolve("templates"))) {
            for (Path file : files.sorted().toList()) {
                String model = file.getFileName().toString().replace(".jinja", "");
                if (Files.exists(SUITE.resolve("expected").resolve(model + ".jsonl"))) {
                    continue;
                }
                for (String context : contextNames()) {
                    cases.add(Arguments.of(model + " / " + context, model, context));
                }
            }
        }
        return cases.stream();
    }

    /**
     * The 20 templates whose expected renders are held back: each must render every context (or
     * reject it through its own raise_exception) without crashing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("templatesWithoutExpectations")
    void rendersOtherTemplatesWithoutCrashing(String name, String model, String context) throws IOException {
        ChatTemplate template = ChatTemplate.fromSource(templateSource(model),
                Map.of("bos_token", "<s>", "eos_token", "</s>")).withClock(FROZEN).withLimits(HUNDREDTH);
        for (boolean generationPrompt : new boolean[] {false, true}) {
            try {
                assertThat(template.render(context(context), generationPrompt, Map.of())).isNotNull();
            } catch (TemplateException e) {
                assertThat(template.source()).contains("raise_exception");
                assertThat(e.getMessage()).doesNotContain("syntax error").doesNotContain("is undefined");
            }
        }
    }

    static String templateSource(String model) throws IOException {
        return Files.readString(SUITE.resolve("templates").resolve(model + ".jinja"), StandardCharsets.UTF_8);
    }

    static List<String> contextNames() throws IOException {
        try (Stream<Path> files = Files.list(SUITE.resolve("contexts"))) {
            return files.map(p -> p.getFileName().toString().replace(".json", "")).sorted().toList();
        }
    }

    static Map<String, String> tokens(JsonObject c) {
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String key : List.of("bos_token", "eos_token")) {
            if (c.has(key) && !c.get(key).isJsonNull()) {
                tokens.put(key, c.get(key).getAsString());
            }
        }
        return tokens;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> context(String name) throws IOException {
        JsonObject json = JsonParser.parseString(Files.readString(
                SUITE.resolve("contexts").resolve(name + ".json"), StandardCharsets.UTF_8)).getAsJsonObject();
        return (List<Map<String, Object>>) TemplateValues.fromJson(json.get("messages"));
    }
}
