package dev.parlance.ui.settings;

import dev.parlance.inference.GenerationDefaults;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javafx.beans.Observable;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * The settings of the open conversation: system prompt and sampling. A new conversation starts
 * from the app-wide defaults; every change is saved with the conversation at once.
 *
 * <p>Seed: by default every answer is sampled with a fresh random seed (saved and shown with the
 * answer, so it can be reproduced); a fixed seed is an explicit choice. A conversation's settings
 * keep a fixed seed as its value and "random" as {@link #RANDOM_SEED}.
 *
 * <p>Answer length: 0 means "automatic", a share of the context window
 * ({@link GenerationDefaults#answerLength}), so that small models keep room for the history.
 */
public final class SettingsViewModel {
    /** Used where neither the conversation, the app defaults nor the model say otherwise. */
    static final ConversationSettings BUILT_IN = new ConversationSettings(
            "", Preset.BALANCED.temperature(), Preset.BALANCED.topP(), Preset.BALANCED.topK(),
            Preset.BALANCED.minP(), Preset.BALANCED.repeatPenalty(), 0, 0, SettingsViewModel.RANDOM_SEED, true);

    /** The saved seed that means "a fresh random seed for every answer". */
    public static final long RANDOM_SEED = -1;

    private final ConversationStore store;
    private final Consumer<ConversationSettings> saveDefaults;
    private final ObjectProperty<ConversationSettings> appDefaults = new SimpleObjectProperty<>();
    private final ObjectProperty<SamplingConfig> modelDefaults = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper model = new ReadOnlyStringWrapper("");
    private final StringProperty systemPrompt = new SimpleStringProperty("");
    private final DoubleProperty temperature = new SimpleDoubleProperty();
    private final DoubleProperty topP = new SimpleDoubleProperty();
    private final IntegerProperty topK = new SimpleIntegerProperty();
    private final DoubleProperty minP = new SimpleDoubleProperty();
    private final DoubleProperty repeatPenalty = new SimpleDoubleProperty();
    private final IntegerProperty maxTokens = new SimpleIntegerProperty();
    private final IntegerProperty contextLength = new SimpleIntegerProperty();
    private final LongProperty seed = new SimpleLongProperty();
    private final BooleanProperty thinking = new SimpleBooleanProperty();
    private final BooleanProperty thinkingSupported = new SimpleBooleanProperty(false);
    private final BooleanProperty fixedSeed = new SimpleBooleanProperty(false);
    private final IntegerProperty modelContext = new SimpleIntegerProperty(0);
    private final BooleanProperty expanded = new SimpleBooleanProperty(false);
    private String conversationId;
    private boolean applying;   // true while values are set programmatically, so they are saved once

    /**
     * @param store where each conversation's settings are saved
     * @param appDefaults the app-wide defaults to start with; null fields fall back to built-in values
     * @param saveDefaults keeps new app-wide defaults (the preferences file in the app)
     */
    public SettingsViewModel(
            ConversationStore store, ConversationSettings appDefaults, Consumer<ConversationSettings> saveDefaults) {
        this.store = store;
        this.saveDefaults = saveDefaults;
        this.appDefaults.set(merge(appDefaults, BUILT_IN));
        apply(this.appDefaults.get());
        for (Observable value : List.of(systemPrompt, temperature, topP, topK, minP, repeatPenalty, maxTokens,
                contextLength, seed, fixedSeed, thinking)) {
            value.addListener(obs -> save());
        }
    }

    /** Whether the settings panel is open. */
    public BooleanProperty expandedProperty() {
        return expanded;
    }

    /** The model the conversation last used. */
    public ReadOnlyStringProperty modelProperty() {
        return model.getReadOnlyProperty();
    }

    public StringProperty systemPromptProperty() {
        return systemPrompt;
    }

    public DoubleProperty temperatureProperty() {
        return temperature;
    }

    public DoubleProperty topPProperty() {
        return topP;
    }

    public IntegerProperty topKProperty() {
        return topK;
    }

    public DoubleProperty minPProperty() {
        return minP;
    }

    public DoubleProperty repeatPenaltyProperty() {
        return repeatPenalty;
    }

    public IntegerProperty maxTokensProperty() {
        return maxTokens;
    }

    /** The most tokens of context; 0 means the model's own length. */
    public IntegerProperty contextLengthProperty() {
        return contextLength;
    }

    /** The fixed seed, used only while {@link #fixedSeedProperty()} is true; never negative. */
    public LongProperty seedProperty() {
        return seed;
    }

    /**
     * Whether the model may think before it answers, for a chat template with that switch
     * ({@code enable_thinking}: Qwen3, SmolLM3); saved with the conversation.
     */
    public BooleanProperty thinkingProperty() {
        return thinking;
    }

    /** Whether the loaded model's chat template has a thinking switch, so the toggle is shown. */
    public BooleanProperty thinkingSupportedProperty() {
        return thinkingSupported;
    }

    /** Whether every answer uses {@link #seedProperty()}; false (the default): a fresh seed each answer. */
    public BooleanProperty fixedSeedProperty() {
        return fixedSeed;
    }

    /** The loaded model's context window in tokens, 0 without a model; sizes the automatic answer length. */
    public IntegerProperty modelContextProperty() {
        return modelContext;
    }

    /** The tokens the model may use: the conversation's limit, else the model's window; 0 if unknown. */
    public int contextWindow() {
        int limit = Math.max(0, contextLength.get());
        int own = modelContext.get();
        return limit > 0 && (own == 0 || limit < own) ? limit : own;
    }

    /** The answer length the next answer gets: the chosen one, or the automatic share of the context. */
    public int answerLength() {
        return maxTokens.get() > 0 ? maxTokens.get() : GenerationDefaults.answerLength(contextWindow());
    }

    /** Sampling defaults of the loaded model ({@code generation_config.json}), or null. */
    public ObjectProperty<SamplingConfig> modelDefaultsProperty() {
        return modelDefaults;
    }

    /** Shows a conversation's settings; null shows the app defaults for the next new conversation. */
    public void load(ConversationRecord conversation) {
        conversationId = null;
        model.set(conversation == null || conversation.model() == null ? "" : conversation.model());
        apply(conversation == null ? appDefaults.get() : merge(conversation.settings(), appDefaults.get()));
        conversationId = conversation == null ? null : conversation.id();
    }

    /** The settings a new conversation starts with. */
    public ConversationSettings defaults() {
        return appDefaults.get();
    }

    /** Records which model the open conversation uses. */
    public void useModel(String modelName) {
        model.set(modelName == null ? "" : modelName);
        save();
    }

    public void applyPreset(Preset preset) {
        applying = true;
        temperature.set(preset.temperature());
        topP.set(preset.topP());
        topK.set(preset.topK());
        minP.set(preset.minP());
        repeatPenalty.set(preset.repeatPenalty());
        applying = false;
        save();
    }

    /** Whether there are model defaults to reset to. */
    public boolean canResetToModelDefaults() {
        return modelDefaults.get() != null;
    }

    /** Takes the loaded model's recommended sampling ({@code generation_config.json}). */
    public void resetToModelDefaults() {
        SamplingConfig d = modelDefaults.get();
        if (d == null) {
            return;
        }
        applying = true;
        temperature.set(d.temperature());
        topP.set(d.topP());
        topK.set(d.topK());
        minP.set(d.minP());
        repeatPenalty.set(d.repeatPenalty());
        maxTokens.set(0);
        applying = false;
        save();
    }

    /** Makes the current values the start of every new conversation. */
    public void saveAsDefaults() {
        ConversationSettings current = current();
        appDefaults.set(current);
        saveDefaults.accept(current);
    }

    /** Applies a quick start's system prompt and preset (to a freshly opened conversation). */
    public void applyQuickStart(String prompt, Preset preset) {
        applying = true;
        systemPrompt.set(prompt);
        applying = false;
        applyPreset(preset);
    }

    /** Takes every value that {@code s} sets (a saved quick start), and saves them with the conversation. */
    public void use(ConversationSettings s) {
        apply(merge(s, current()));
        save();
    }

    /** The options for the next answer, with its seed: the fixed one, or a fresh random one. */
    public ChatOptions options() {
        long answerSeed = fixedSeed.get() ? Math.max(0, seed.get()) : ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE);
        var sampling = new SamplingConfig(
                Math.max(0, temperature.get()),
                Math.max(0, topK.get()),
                clamp(topP.get(), 0.01, 1),
                clamp(minP.get(), 0, 0.99),
                repeatPenalty.get() <= 0 ? 1 : repeatPenalty.get(),
                answerSeed,
                answerLength(),
                List.of());
        return new ChatOptions(sampling, Math.max(0, contextLength.get()), null,
                thinkingSupported.get() ? thinking.get() : null);
    }

    /** The settings as they stand. */
    public ConversationSettings current() {
        return new ConversationSettings(systemPrompt.get(), temperature.get(), topP.get(), topK.get(), minP.get(),
                repeatPenalty.get(), maxTokens.get(), contextLength.get(),
                fixedSeed.get() ? Math.max(0, seed.get()) : RANDOM_SEED, thinking.get());
    }

    private void save() {
        if (!applying && conversationId != null) {
            store.updateSettings(conversationId, model.get(), current());
        }
    }

    private void apply(ConversationSettings s) {
        applying = true;
        systemPrompt.set(s.systemPrompt());
        temperature.set(s.temperature());
        topP.set(s.topP());
        topK.set(s.topK());
        minP.set(s.minP());
        repeatPenalty.set(s.repeatPenalty());
        maxTokens.set(s.maxTokens());
        contextLength.set(s.contextLength());
        fixedSeed.set(s.seed() >= 0);
        if (s.seed() >= 0) {
            seed.set(s.seed());
        }
        thinking.set(s.thinking());
        applying = false;
    }

    /** Fills the null fields of {@code s} from {@code fallback}. */
    static ConversationSettings merge(ConversationSettings s, ConversationSettings fallback) {
        if (s == null) {
            return fallback;
        }
        return new ConversationSettings(
                s.systemPrompt() != null ? s.systemPrompt() : fallback.systemPrompt(),
                s.temperature() != null ? s.temperature() : fallback.temperature(),
                s.topP() != null ? s.topP() : fallback.topP(),
                s.topK() != null ? s.topK() : fallback.topK(),
                s.minP() != null ? s.minP() : fallback.minP(),
                s.repeatPenalty() != null ? s.repeatPenalty() : fallback.repeatPenalty(),
                s.maxTokens() != null ? s.maxTokens() : fallback.maxTokens(),
                s.contextLength() != null ? s.contextLength() : fallback.contextLength(),
                s.seed() != null ? s.seed() : fallback.seed(),
                s.thinking() != null ? s.thinking() : fallback.thinking());
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
