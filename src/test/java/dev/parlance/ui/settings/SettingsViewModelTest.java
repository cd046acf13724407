package dev.parlance.ui.settings;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.SamplingConfig;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SettingsViewModelTest {
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private final List<ConversationSettings> savedDefaults = new ArrayList<>();
    private final SettingsViewModel settings =
            new SettingsViewModel(store, ConversationSettings.DEFAULTS, savedDefaults::add);

    @Test
    void startsFromTheBuiltInBalancedValues() {
        assertThat(settings.temperatureProperty().get()).isEqualTo(Preset.BALANCED.temperature());
        assertThat(settings.fixedSeedProperty().get()).isFalse();
        assertThat(settings.maxTokensProperty().get()).as("automatic").isZero();
    }

    @Test
    void everyAnswerGetsAFreshSeedUnlessAFixedOneIsChosen() {
        Set<Long> seeds = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            seeds.add(settings.options().sampling().seed());
        }
        assertThat(seeds).hasSizeGreaterThan(1).allMatch(seed -> seed >= 0);
        settings.fixedSeedProperty().set(true);
        settings.seedProperty().set(1234);
        assertThat(settings.options().sampling().seed()).isEqualTo(1234);
        assertThat(settings.options().sampling().seed()).isEqualTo(1234);
    }

    @Test
    void theSeedChoiceIsSavedWithTheConversation() {
        ConversationRecord random = store.create("random", "m", ConversationSettings.DEFAULTS);
        settings.load(random);
        settings.temperatureProperty().set(0.9);
        assertThat(store.conversation(random.id()).orElseThrow().settings().seed())
                .isEqualTo(SettingsViewModel.RANDOM_SEED);
        ConversationRecord fixed = store.create("fixed", "m", ConversationSettings.DEFAULTS);
        settings.load(fixed);
        settings.seedProperty().set(77);
        settings.fixedSeedProperty().set(true);
        assertThat(store.conversation(fixed.id()).orElseThrow().settings().seed()).isEqualTo(77L);
        settings.load(store.conversation(random.id()).orElseThrow());
        assertThat(settings.fixedSeedProperty().get()).isFalse();
        settings.load(store.conversation(fixed.id()).orElseThrow());
        assertThat(settings.fixedSeedProperty().get()).isTrue();
        assertThat(settings.seedProperty().get()).isEqualTo(77);
    }

    @Test
    void theAutomaticAnswerLengthIsAQuarterOfTheContextSoHistoryFits() {
        settings.modelContextProperty().set(512);
        assertThat(settings.options().sampling().maxNewTokens()).isEqualTo(128);
        settings.contextLengthProperty().set(256);
        assertThat(settings.options().sampling().maxNewTokens()).as("the conversation's own limit").isEqualTo(64);
        settings.modelContextProperty().set(32768);
        settings.contextLengthProperty().set(0);
        assertThat(settings.options().sampling().maxNewTokens()).isEqualTo(1024);
        settings.maxTokensProperty().set(300);
        assertThat(settings.options().sampling().maxNewTokens()).as("a chosen length").isEqualTo(300);
    }

    @Test
    void aPresetSetsTheSamplingValues() {
        settings.applyPreset(Preset.PRECISE);
        SamplingConfig s = settings.options().sampling();
        assertThat(s.temperature()).isEqualTo(0.2);
        assertThat(s.topK()).isEqualTo(40);
    }

    @Test
    void changesAreSavedWithTheOpenConversation() {
        ConversationRecord c = store.create("t", "m", ConversationSettings.DEFAULTS);
        settings.load(c);
        settings.temperatureProperty().set(1.3);
        assertThat(store.conversation(c.id()).orElseThrow().settings().temperature()).isEqualTo(1.3);
    }

    @Test
    void aConversationsOwnSettingsAreShownWhenOpened() {
        var own = new ConversationSettings("Speak French.", 0.1, null, null, null, null, 64, null, 9L);
        ConversationRecord c = store.create("t", "m", own);
        settings.load(c);
        assertThat(settings.systemPromptProperty().get()).isEqualTo("Speak French.");
        assertThat(settings.maxTokensProperty().get()).isEqualTo(64);
        assertThat(settings.topPProperty().get()).isEqualTo(Preset.BALANCED.topP());
    }

    @Test
    void resettingTakesTheModelsDefaults() {
        settings.modelDefaultsProperty().set(new SamplingConfig(0.6, 20, 0.8, 0.0, 1.0, 7, 256, List.of()));
        settings.maxTokensProperty().set(2048);
        settings.resetToModelDefaults();
        assertThat(settings.temperatureProperty().get()).isEqualTo(0.6);
        assertThat(settings.topKProperty().get()).isEqualTo(20);
        assertThat(settings.maxTokensProperty().get()).as("automatic, from the context").isZero();
        assertThat(settings.fixedSeedProperty().get()).as("the seed stays a choice of the user's").isFalse();
    }

    @Test
    void thinkingIsOnUntilTurnedOffAndIsSavedWithTheConversation() {
        ConversationRecord c = store.create("t", "m", ConversationSettings.DEFAULTS);
        settings.load(c);
        assertThat(settings.thinkingProperty().get()).isTrue();

        settings.thinkingProperty().set(false);

        assertThat(store.conversation(c.id()).orElseThrow().settings().thinking()).isFalse();
        settings.load(store.create("other", "m", ConversationSettings.DEFAULTS));
        assertThat(settings.thinkingProperty().get()).isTrue();
        settings.load(store.conversation(c.id()).orElseThrow());
        assertThat(settings.thinkingProperty().get()).isFalse();
    }

    @Test
    void theThinkingSwitchReachesTheModelOnlyWhenItsTemplateHasOne() {
        settings.thinkingProperty().set(false);
        assertThat(settings.options().thinking()).isNull();

        settings.thinkingSupportedProperty().set(true);
        assertThat(settings.options().thinking()).isFalse();
        settings.thinkingProperty().set(true);
        assertThat(settings.options().thinking()).isTrue();
    }

    @Test
    void withoutAModelThereIsNothingToResetTo() {
        assertThat(settings.canResetToModelDefaults()).isFalse();
    }

    @Test
    void savedDefaultsStartTheNextConversation() {
        settings.temperatureProperty().set(1.5);
        settings.saveAsDefaults();
        settings.load(store.create("t", "m", ConversationSettings.DEFAULTS));
        assertThat(settings.temperatureProperty().get()).isEqualTo(1.5);
        assertThat(savedDefaults).hasSize(1);
    }

    @Test
    void outOfRangeValuesAreClampedIntoValidOptions() {
        settings.topPProperty().set(0);
        settings.minPProperty().set(1);
        settings.repeatPenaltyProperty().set(0);
        SamplingConfig s = settings.options().sampling();
        assertThat(s.topP()).isPositive();
        assertThat(s.minP()).isLessThan(1);
        assertThat(s.repeatPenalty()).isEqualTo(1);
    }

    @Test
    void aQuickStartSetsItsPromptAndPreset() {
        ConversationRecord c = store.create("", "m", ConversationSettings.DEFAULTS);
        settings.load(c);
        settings.applyQuickStart("Translate.", Preset.CREATIVE);
        ConversationSettings saved = store.conversation(c.id()).orElseThrow().settings();
        assertThat(saved.systemPrompt()).isEqualTo("Translate.");
        assertThat(saved.temperature()).isEqualTo(Preset.CREATIVE.temperature());
    }
}
