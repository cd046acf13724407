package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.ResourceBundle;
import org.junit.jupiter.api.Test;

class MessagesBundleTest {
    @Test
    void chineseTranslatesEveryEnglishString() {
        ResourceBundle english = ViewLoader.bundle(Locale.ENGLISH);
        ResourceBundle chinese = ViewLoader.bundle(Locale.SIMPLIFIED_CHINESE);
        assertThat(chinese.keySet()).containsExactlyInAnyOrderElementsOf(english.keySet());
        for (String key : english.keySet()) {
            if (!key.equals("app.title") && !key.startsWith("settings.top") && !key.equals("settings.minP")
                    && !key.equals("role.assistant")) {
                assertThat(chinese.getString(key)).as(key).isNotEqualTo(english.getString(key));
            }
        }
    }

    @Test
    void englishIsChosenEvenOnAChineseSystem() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.SIMPLIFIED_CHINESE);
            assertThat(ViewLoader.bundle(Locale.ENGLISH).getString("chat.send")).isEqualTo("Send");
        } finally {
            Locale.setDefault(before);
        }
    }
}
