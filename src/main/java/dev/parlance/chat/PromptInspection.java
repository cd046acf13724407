package dev.parlance.chat;

import java.util.List;

/**
 * The exact prompt a model receives for a conversation, token by token.
 *
 * @param prompt the rendered chat template
 * @param tokenIds its token ids, as the model sees them
 * @param pieces each token's text as the tokenizer spells it, special tokens as written in the template
 * @param specialToken for each token, whether it is a special (control) token
 * @param tokensPerMessage how many prompt tokens each message takes, in message order (the
 *     generation prompt counts with the last message)
 * @param contextLength the tokens the context holds
 */
public record PromptInspection(
        String prompt,
        List<Integer> tokenIds,
        List<String> pieces,
        List<Boolean> specialToken,
        List<Integer> tokensPerMessage,
        int contextLength) {}
