package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A GGUF file's prompt format comes from its metadata, the same as its source folder's. */
class GgufChatTemplateTest {

    @Test
    @SuppressWarnings("unchecked")
    void aGgufFileRendersTheConversationsOfItsSourceFolderAsTheReferenceDoes() throws Exception {
        Path file = SharedData.require("fixtures/gguf/tiny-qwen2-Q8_0.gguf");
        JsonObject golden = SharedData.json(SharedData.require("fixtures/tiny-qwen2/golden.json"));
        ChatTemplate template = ChatTemplate.fromModel(file);
        for (JsonElement element : golden.getAsJsonObject("tokenizer").getAsJsonArray("chat")) {
            JsonObject chat = element.getAsJsonObject();
            List<Map<String, Object>> messages = new Gson().fromJson(chat.get("messages"), List.class);
            assertThat(template.render(messages, chat.get("add_generation_prompt").getAsBoolean(), Map.of()))
                    .as(chat.get("name").getAsString()).isEqualTo(chat.get("rendered").getAsString());
        }
    }

    @Test
    void aGgufFileWithoutATemplateGetsTheFormatItsFolderGets() throws Exception {
        Path file = SharedData.require("fixtures/gguf/stories260K-F32.gguf");
        Path folder = SharedData.require("models/stories260K");
        List<Message> conversation = List.of(Message.user("Tell me a story"), Message.assistant("Once upon a time"),
                Message.user("More"));
        assertThat(ChatTemplate.fromModel(file).render(conversation, true))
                .isEqualTo(ChatTemplate.fromModel(folder).render(conversation, true));
    }
}
