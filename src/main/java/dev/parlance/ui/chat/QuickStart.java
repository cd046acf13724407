package dev.parlance.ui.chat;

import dev.parlance.ui.settings.Preset;
import java.util.Locale;

/**
 * What people most often open an assistant for. Each starts a new conversation with a fitting
 * system prompt (from the resource bundle, under {@link #promptKey()}) and sampling preset.
 */
public enum QuickStart {
    CHAT(Preset.BALANCED),
    SUMMARIZE(Preset.PRECISE),
    TRANSLATE(Preset.PRECISE),
    DRAFT(Preset.CREATIVE);

    private final Preset preset;

    QuickStart(Preset preset) {
        this.preset = preset;
    }

    public Preset preset() {
        return preset;
    }

    /** Resource-bundle key of the quick start's name. */
    public String nameKey() {
        return "quickstart." + name().toLowerCase(Locale.ROOT);
    }

    /** Resource-bundle key of its system prompt. */
    public String promptKey() {
        return nameKey() + ".prompt";
    }
}
