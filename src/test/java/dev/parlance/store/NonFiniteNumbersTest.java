package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Saved and exported conversations are JSON a strict reader accepts, whatever numbers they were given. */
class NonFiniteNumbersTest {
    @Test
    void aSettingThatIsNotAFiniteNumberIsSavedAsTheDefault() {
        var settings = new ConversationSettings("be brief", Double.NaN, Double.POSITIVE_INFINITY, 40, 0.05,
                Double.NEGATIVE_INFINITY, 256, 0, 7L);
        String text = SettingsJson.toText(settings);
        JsonReader strict = new JsonReader(new StringReader(text));
        strict.setStrictness(Strictness.STRICT);
        var json = JsonParser.parseReader(strict).getAsJsonObject();
        assertThat(json.get("temperature").isJsonNull()).isTrue();
        assertThat(json.get("top_p").isJsonNull()).isTrue();
        assertThat(json.get("repeat_penalty").isJsonNull()).isTrue();
        assertThat(json.get("min_p").getAsDouble()).isEqualTo(0.05);
        assertThat(SettingsJson.fromText(text)).isEqualTo(
                new ConversationSettings("be brief", null, null, 40, 0.05, null, 256, 0, 7L));
    }

    @Test
    void anExportOfAnAnswerWhoseFiguresAreNotFiniteIsStrictJson() {
        var conversation = new ConversationRecord("c1", "Title", Instant.EPOCH, Instant.EPOCH, "model",
                ConversationSettings.DEFAULTS);
        var answer = new MessageRecord("m1", "c1", 0, Role.ASSISTANT, "Hi", "", Instant.EPOCH, "model",
                new MessageStats(3, Double.NaN, Double.POSITIVE_INFINITY), FinishReason.STOP);
        String text = ConversationExport.toJson(new ConversationArchive(conversation, List.of(answer)));
        JsonReader strict = new JsonReader(new StringReader(text));
        strict.setStrictness(Strictness.STRICT);
        var metadata = JsonParser.parseReader(strict).getAsJsonObject().getAsJsonArray("messages").get(0)
                .getAsJsonObject().getAsJsonObject("metadata");
        assertThat(metadata.get("tokens_per_second").getAsDouble()).isZero();
        assertThat(metadata.get("time_to_first_token_ms").getAsDouble()).isZero();
    }

    @Test
    void aNanReadFromAnOlderDatabaseOrAFileBecomesTheDefault() {
        var settings = SettingsJson.fromText("{\"temperature\": NaN, \"top_p\": 0.9}");
        assertThat(settings.temperature()).isNull();
        assertThat(settings.topP()).isEqualTo(0.9);
    }
}
