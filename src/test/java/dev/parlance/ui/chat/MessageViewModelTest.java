package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.MessageStats;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MessageViewModelTest {

    private static MessageRecord answer(MessageStats stats) {
        return new MessageRecord("m1", "c1", 1, Role.ASSISTANT, "Hello", "", Instant.EPOCH, "model", stats,
                FinishReason.STOP);
    }

    @Test
    void aSavedAnswerKeepsItsTokenCountAndSpeedAfterARestart() {
        var message = MessageViewModel.of(answer(new MessageStats(359, 44, 435.6)));
        assertThat(message.statsProperty().get().generatedTokens()).isEqualTo(359);
        assertThat(message.statsProperty().get().decodeTokensPerSecond()).isCloseTo(435.6, within(1e-9));
        assertThat(message.statsProperty().get().timeToFirstTokenMillis()).isEqualTo(44);
    }

    @Test
    void anAnswerSavedWithoutFiguresShowsNone() {
        assertThat(MessageViewModel.of(answer(MessageStats.NONE)).statsProperty().get()).isNull();
        assertThat(MessageViewModel.of(answer(null)).statsProperty().get()).isNull();
    }
}
