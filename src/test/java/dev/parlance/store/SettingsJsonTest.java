package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

/** Saved and exported settings are JSON a strict reader accepts, whatever numbers they were given. */
class SettingsJsonTest {
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
    void aNanReadFromAnOlderDatabaseOrAFileBecomesTheDefault() {
        var settings = SettingsJson.fromText("{\"temperature\": NaN, \"top_p\": 0.9}");
        assertThat(settings.temperature()).isNull();
        assertThat(settings.topP()).isEqualTo(0.9);
    }
}
