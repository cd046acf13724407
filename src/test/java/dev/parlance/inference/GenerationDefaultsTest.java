package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GenerationDefaultsTest {

    @Test
    void theAnswerLengthIsAQuarterOfTheContextWindow() {
        assertThat(GenerationDefaults.answerLength(512)).isEqualTo(128);
        assertThat(GenerationDefaults.answerLength(2048)).isEqualTo(512);
    }

    @Test
    void theAnswerLengthIsCappedOnLargeWindowsAndUsesTheCapWhenTheWindowIsUnknown() {
        assertThat(GenerationDefaults.answerLength(131072)).isEqualTo(GenerationDefaults.DEFAULT_MAX_NEW_TOKENS);
        assertThat(GenerationDefaults.answerLength(0)).isEqualTo(GenerationDefaults.DEFAULT_MAX_NEW_TOKENS);
    }

    @Test
    void aTinyWindowStillAllowsOneToken() {
        assertThat(GenerationDefaults.answerLength(3)).isEqualTo(1);
    }
}
