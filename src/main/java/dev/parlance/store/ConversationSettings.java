package dev.parlance.store;

/**
 * Settings saved with a conversation. Null fields mean "use the app-wide default".
 *
 * @param systemPrompt the system message, or null
 * @param contextLength the most tokens of context, 0 for the model's own
 * @param thinking the thinking switch of a template that has one ({@code enable_thinking}), or null
 *     for the template's own default
 */
public record ConversationSettings(
        String systemPrompt,
        Double temperature,
        Double topP,
        Integer topK,
        Double minP,
        Double repeatPenalty,
        Integer maxTokens,
        Integer contextLength,
        Long seed,
        Boolean thinking) {

    public static final ConversationSettings DEFAULTS =
            new ConversationSettings(null, null, null, null, null, null, null, null, null, null);

    /** Settings that leave the thinking switch at the template's default. */
    public ConversationSettings(String systemPrompt, Double temperature, Double topP, Integer topK, Double minP,
            Double repeatPenalty, Integer maxTokens, Integer contextLength, Long seed) {
        this(systemPrompt, temperature, topP, topK, minP, repeatPenalty, maxTokens, contextLength, seed, null);
    }

    /** The same settings with this thinking switch (null for the template's default). */
    public ConversationSettings withThinking(Boolean enabled) {
        return new ConversationSettings(systemPrompt, temperature, topP, topK, minP, repeatPenalty, maxTokens,
                contextLength, seed, enabled);
    }
}
