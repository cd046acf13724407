package dev.parlance.service;

import java.util.List;

/**
 * The exact prompt a model receives for a conversation.
 *
 * @param prompt the rendered chat template
 * @param tokenIds its token ids
 * @param pieces the text of each token, special tokens as written in the template
 * @param specialToken for each token, whether it is a special (control) token
 * @param tokensPerMessage how many prompt tokens each message takes, in message order
 * @param contextLength the tokens available
 */
public record PromptInspection(
        String prompt,
        List<Integer> tokenIds,
        List<String> pieces,
        List<Boolean> specialToken,
        List<Integer> tokensPerMessage,
        int contextLength) {}
