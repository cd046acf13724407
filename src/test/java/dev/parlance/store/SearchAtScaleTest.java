package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Role;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchAtScaleTest {
    @TempDir
    Path dir;

    @Test
    void searchFindsOneWordAmongTenThousandMessages() {
        try (var store = SqliteConversationStore.open(dir)) {
            String needleId = null;
            for (int c = 0; c < 100; c++) {
                var conversation = store.create("Conversation " + c, "m", null);
                for (int m = 0; m < 100; m++) {
                    String text = Filler.sentence(c * 100 + m);
                    if (c == 63 && m == 41) {
                        text += " and then a quetzalcoatl flew by";
                    }
                    var message = store.append(conversation.id(), m % 2 == 0 ? Role.USER : Role.ASSISTANT, text);
                    if (c == 63 && m == 41) {
                        needleId = message.id();
                    }
                }
            }

            assertThat(store.search("quetzalcoatl", 10)).singleElement().satisfies(hit -> {
                assertThat(hit.conversationTitle()).isEqualTo("Conversation 63");
                assertThat(hit.snippet()).contains("[[quetzalcoatl]]");
            }).extracting(SearchHit::messageId).isEqualTo(needleId);
            assertThat(store.search(Filler.WORDS[3], 20)).hasSize(20);
        }
    }
}
