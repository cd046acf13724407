package dev.parlance.inference.sampling;

import dev.parlance.inference.SamplingConfig;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from raw logits: repetition penalty, frequency and presence penalties (over
 * the tokens this sampler has chosen, as OpenAI defines them), then greedy argmax, or temperature,
 * top-k, top-p and min-p (in the order transformers applies them) and a draw from what is left.
 * The random stream comes from the seed, so the same seed, prompt and settings repeat a run.
 * Not thread-safe: one per generation.
 */
public final class Sampler {
    private final SamplingConfig config;
    private final SplittableRandom random;
    /** How often each token id has been chosen, for the frequency and presence penalties; sized on first use. */
    private int[] chosen = new int[0];

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
        boolean counting = config.frequencyPenalty() != 0 || config.presencePenalty() != 0;
        if (counting) {
            penaliseChosen(logits);
        }
        int id = choose(logits);
        if (counting) {
            chosen[id]++;
        }
        return id;
    }

    private int choose(float[] logits) {
        if (config.isGreedy()) {
            return argmax(logits);
        }
        int[] candidates = candidates(logits);
        double[] probs = probabilities(logits, candidates);
        int kept = nucleus(probs, candidates);
        kept = minP(probs, kept);
        return draw(probs, candidates, kept);
    }

    /**
     * OpenAI's penalties: {@code logit[j] -= count[j] * frequency + (count[j] > 0 ? presence : 0)},
     * where {@code count[j]} is how often this sampler has chosen token j.
     */
    private void penaliseChosen(float[] logits) {
        if (chosen.length != logits.length) {
            chosen = Arrays.copyOf(chosen, logits.length);
        }
        for (int j = 0; j < logits.length; j++) {
            if (chosen[j] > 0) {
                logits[j] -= (float) (chosen[j] * config.frequencyPenalty() + config.presencePenalty());
            }
        }
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

    /**
     * The token ids worth drawing from, best first: the top k, else those whose probability can
     * reach the top-p or min-p cut. Only these few are sorted; sorting a 150,000-token vocabulary
     * on every token would cost milliseconds.
     */
    private int[] candidates(float[] logits) {
        int vocab = logits.length;
        if (config.topK() > 0 && config.topK() < vocab) {
            return sortedByLogit(logits, largest(logits, config.topK()));
        }
        if (config.topP() >= 1 && config.minP() <= 0) {
            int[] all = new int[vocab];
            for (int i = 0; i < vocab; i++) {
                all[i] = i;
            }
            return all; // plain temperature sampling needs no order
        }
        double[] probs = softmax(logits, null, (float) config.temperature());
        double floor = 0;
        if (config.topP() < 1) {
            // llama2.c's cut: a token below (1 - p) / (n - 1) of the mass can never be in the nucleus
            floor = (1 - config.topP()) / (vocab - 1);
        }
        if (config.minP() > 0 && config.topP() >= 1) {
            floor = config.minP() * probs[argmax(logits)];
        }
        int count = 0;
        for (double p : probs) {
            if (p >= floor) {
                count++;
            }
        }
        int[] kept = new int[count];
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (probs[i] >= floor) {
                kept[n++] = i;
            }
        }
        return sortedByLogit(logits, kept);
    }

    /**
     * Probabilities of the candidates as top-p must see them: renormalised over the top k when
     * top-k chose them (transformers filters before top-p), else those of the whole vocabulary,
     * so the tokens cut for speed do not inflate the nucleus.
     */
    private double[] probabilities(float[] logits, int[] candidates) {
        if (candidates.length == logits.length || (config.topK() > 0 && config.topK() < logits.length)) {
            return softmax(logits, candidates, (float) config.temperature());
        }
        float t = (float) config.temperature();
        double max = logits[candidates[0]] / t;
        double sum = 0;
        for (float logit : logits) {
            sum += Math.exp(logit / t - max);
        }
        double[] probs = new double[candidates.length];
        for (int i = 0; i < candidates.length; i++) {
            probs[i] = Math.exp(logits[candidates[i]] / t - max) / sum;
        }
        return probs;
    }

    /** The ids of the {@code k} largest logits, in no order: a min-heap over the vocabulary. */
    private static int[] largest(float[] logits, int k) {
        int[] heap = new int[k];
        for (int i = 0; i < k; i++) {
            heap[i] = i;
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(logits, heap, i);
        }
        for (int i = k; i < logits.length; i++) {
            if (logits[i] > logits[heap[0]]) {
                heap[0] = i;
                siftDown(logits, heap, 0);
            }
        }
        return heap;
    }

    private static void siftDown(float[] logits, int[] heap, int at) {
        int i = at;
        while (true) {
            int smallest = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < heap.length && less(logits, heap[left], heap[smallest])) {
                smallest = left;
            }
            if (right < heap.length && less(logits, heap[right], heap[smallest])) {
                smallest = right;
            }
            if (smallest == i) {
                return;
            }
            int swap = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = swap;
            i = smallest;
        }
    }

    /** Heap order: a smaller logit, or on ties the higher id, sorts first (so the lowest id survives). */
    private static boolean less(float[] logits, int a, int b) {
        return logits[a] < logits[b] || (logits[a] == logits[b] && a > b);
    }

    /** {@code ids} sorted by logit, best first, lowest id first on ties. */
    private static int[] sortedByLogit(float[] logits, int[] ids) {
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < ids.length; i++) {
            order[i] = ids[i];
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
