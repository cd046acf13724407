package dev.parlance.store;

/**
 * Settings saved with a conversation. Null fields mean "use the app-wide default".
 *
 * @param systemPrompt the system message, or null
 * @param contextLength the most tokens of context, 0 for the model's own
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
        Long seed) {

    public static final ConversationSettings DEFAULTS =
            new ConversationSettings(null, null, null, null, null, null, null, null, null);
}
