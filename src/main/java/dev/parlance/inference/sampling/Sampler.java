package dev.parlance.inference.sampling;

import dev.parlance.inference.SamplingConfig;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from raw logits: repetition penalty, then greedy argmax, or temperature,
 * top-k, top-p and min-p (in the order transformers applies them) and a draw from what is left.
 * The random stream comes from the seed, so the same seed, prompt and settings repeat a run.
 * Not thread-safe: one per generation.
 */
public final class Sampler {
    private final SamplingConfig config;
    private final SplittableRandom random;

    public Sampler(SamplingConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /**
     * Chooses a token.
     *
     * @param logits raw logits of the vocabulary; mutated (penalised and scaled in place)
     * @param history the tokens so far (prompt and answer), for the repetition penalty; not mutated
     * @param historyLength how many entries of {@code history} are used
     */
    public int sample(float[] logits, int[] history, int historyLength) {
        if (config.repeatPenalty() != 1) {
            penalise(logits, history, historyLength);
        }
        if (config.isGreedy()) {
            return argmax(logits);
        }
        int[] candidates = candidates(logits);
        double[] probs = softmax(logits, candidates, (float) config.temperature());
        int kept = nucleus(probs, candidates);
        kept = minP(probs, kept);
        return draw(probs, candidates, kept);
    }

    /** Divides positive and multiplies negative logits of seen tokens (CTRL, as transformers does). */
    private void penalise(float[] logits, int[] history, int historyLength) {
        float penalty = (float) config.repeatPenalty();
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < historyLength; i++) {
            int id = history[i];
            if (id >= 0 && id < logits.length && !seen[id]) {
                seen[id] = true;
                logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
            }
        }
    }

    /** Lowest index among the largest values. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Token ids sorted by logit, best first: the top k, or (for top-p) those that could matter. */
    private int[] candidates(float[] logits) {
        int k = config.topK() > 0 ? Math.min(config.topK(), logits.length) : logits.length;
        if (k == logits.length && config.topP() < 1) {
            // llama2.c's cut: a token below (1 - p) / (n - 1) of the mass can never be in the nucleus
            double[] all = softmax(logits, null, (float) config.temperature());
            double cutoff = (1 - config.topP()) / (logits.length - 1);
            int count = 0;
            for (double p : all) {
                if (p >= cutoff) {
                    count++;
                }
            }
            k = Math.max(1, count);
        }
        return topIndices(logits, k);
    }

    private static int[] topIndices(float[] logits, int k) {
        Integer[] order;
        if (k == logits.length) {
            order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
        } else {
            // a selection by threshold keeps this linear in the vocabulary size
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            float threshold = sorted[sorted.length - k];
            order = new Integer[k];
            int n = 0;
            for (int i = 0; i < logits.length && n < k; i++) {
                if (logits[i] > threshold) {
                    order[n++] = i;
                }
            }
            for (int i = 0; i < logits.length && n < k; i++) {
                if (logits[i] == threshold) {
                    order[n++] = i;
                }
            }
        }
        Arrays.sort(order, (a, b) -> logits[b] != logits[a] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int[] result = new int[order.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = order[i];
        }
        return result;
    }

    /** Probabilities at temperature {@code t} over {@code ids} (all tokens when null). */
    private static double[] softmax(float[] logits, int[] ids, float t) {
        int n = ids == null ? logits.length : ids.length;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[ids == null ? i : ids[i]] / t);
        }
        double[] probs = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(logits[ids == null ? i : ids[i]] / t - max);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) {
            probs[i] /= sum;
        }
        return probs;
    }

    /** How many of the sorted candidates make up the smallest set reaching top-p. */
    private int nucleus(double[] probs, int[] candidates) {
        if (config.topP() >= 1) {
            return candidates.length;
        }
        double cumulative = 0;
        for (int i = 0; i < probs.length; i++) {
            cumulative += probs[i];
            if (cumulative >= config.topP()) {
                return i + 1;
            }
        }
        return probs.length;
    }

    /** Drops candidates below {@code minP} times the best one's probability. */
    private int minP(double[] probs, int kept) {
        if (config.minP() <= 0) {
            return kept;
        }
        double floor = config.minP() * probs[0];
        int n = 1;
        while (n < kept && probs[n] >= floor) {
            n++;
        }
        return n;
    }

    private int draw(double[] probs, int[] candidates, int kept) {
        double total = 0;
        for (int i = 0; i < kept; i++) {
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < kept; i++) {
            r -= probs[i];
            if (r < 0) {
                return candidates[i];
            }
        }
        return candidates[kept - 1];
    }
}
