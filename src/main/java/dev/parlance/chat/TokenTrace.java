package dev.parlance.chat;

import dev.parlance.inference.TokenLogprob;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One answer token by token, as the model chose it: the prompt it read and, for every token it
 * generated, the token's log-probability and its best alternatives under the model's raw
 * distribution (before temperature and penalties).
 *
 * @param prompt the prompt's token ids; not mutated
 * @param generated every generated token in order: a reasoning model's reasoning first, then the answer
 * @param answerStart the index in {@code generated} of the first token of the answer
 */
public record TokenTrace(int[] prompt, List<TokenLogprob> generated, int answerStart) {
    public TokenTrace {
        generated = List.copyOf(generated);
        if (answerStart < 0 || answerStart > generated.size()) {
            throw new IllegalArgumentException("answerStart " + answerStart + " is outside 0.." + generated.size());
        }
    }

    /** The answer's tokens, oldest first. */
    public List<TokenLogprob> answer() {
        return generated.subList(answerStart, generated.size());
    }

    /**
     * What the model had read when it chose answer token {@code index}: the prompt and every token
     * generated before it. The choice was made at the last of these positions.
     */
    public int[] contextOf(int index) {
        int before = answerStart + index;
        int[] context = Arrays.copyOf(prompt, prompt.length + before);
        for (int i = 0; i < before; i++) {
            context[prompt.length + i] = generated.get(i).id();
        }
        return context;
    }

    /**
     * The first tokens of a branch of this answer that takes another token at answer token
     * {@code index}: every token generated before it (a reasoning model's reasoning too), then the
     * alternative, each with the probability and the alternatives it had here.
     *
     * @param alternativeId one of the ids in {@code answer().get(index).top()}
     * @throws IllegalArgumentException when the id is not among that token's alternatives
     */
    public List<TokenLogprob> branchAt(int index, int alternativeId) {
        TokenLogprob chosen = answer().get(index);
        TokenLogprob.Alternative alternative = chosen.top().stream().filter(a -> a.id() == alternativeId).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("token " + alternativeId
                        + " is not among the alternatives of answer token " + index));
        List<TokenLogprob> prefix = new ArrayList<>(generated.subList(0, answerStart + index));
        prefix.add(new TokenLogprob(alternative.id(), alternative.token(), alternative.logprob(), chosen.top()));
        return prefix;
    }
}
