package dev.parlance.inference.model;

/**
 * Rotary position embedding parameters: how fast each rotated pair of a head turns.
 *
 * @param theta the base of the frequencies
 * @param scaling "none", "linear", "llama3" or "longrope"
 * @param originalContextLength the context the model was trained on before its scaling (Llama 3.1's
 *     wavelength bounds; with longrope, the length beyond which the long factors apply)
 * @param frequencyFactors per rotated pair, what each frequency is divided by (a GGUF file's
 *     {@code rope_freqs} tensor, Llama 3.1's scaling computed by its converter; longrope's short
 *     factors), or null
 * @param pairing which dimensions turn together
 * @param attentionFactor what cos and sin are multiplied by, so q·k by its square over the rotated
 *     dimensions (longrope's {@code sqrt(1 + ln(factor) / ln(original))}); 1 for the others
 * @param longFrequencyFactors longrope's factors for a context longer than
 *     {@code originalContextLength} ({@link #longContext()}), or null
 */
public record Rope(double theta, String scaling, double factor, double lowFreqFactor, double highFreqFactor,
        int originalContextLength, float[] frequencyFactors, Pairing pairing, double attentionFactor,
        float[] longFrequencyFactors) {

    public Rope {
        if (!(attentionFactor > 0) || !Double.isFinite(attentionFactor)) {
            throw new IllegalArgumentException("RoPE's attention factor must be positive, was " + attentionFactor);
        }
        if (longFrequencyFactors != null && (frequencyFactors == null
                || longFrequencyFactors.length != frequencyFactors.length || originalContextLength <= 0)) {
            throw new IllegalArgumentException("long RoPE factors need as many short ones and an original context");
        }
    }

    public Rope(double theta, String scaling, double factor, double lowFreqFactor, double highFreqFactor,
            int originalContextLength, float[] frequencyFactors, Pairing pairing) {
        this(theta, scaling, factor, lowFreqFactor, highFreqFactor, originalContextLength, frequencyFactors, pairing,
                1, null);
    }

    public Rope(double theta, String scaling, double factor, double lowFreqFactor, double highFreqFactor,
            int originalContextLength) {
        this(theta, scaling, factor, lowFreqFactor, highFreqFactor, originalContextLength, null, Pairing.HALVES);
    }

    /** Unscaled frequencies of base {@code theta}, rotating halves. */
    public static Rope plain(double theta) {
        return new Rope(theta, "none", 1, 1, 1, 0);
    }

    /**
     * Phi-3's LongRoPE (Ding et al., 2024): frequency {@code i} is divided by {@code shortFactors[i]}
     * within {@code originalContextLength} positions and by {@code longFactors[i]} beyond, and cos
     * and sin are multiplied by {@code attentionFactor}.
     */
    public static Rope longRope(double theta, int originalContextLength, float[] shortFactors, float[] longFactors,
            double attentionFactor, Pairing pairing) {
        return new Rope(theta, "longrope", 1, 1, 1, originalContextLength, shortFactors, pairing, attentionFactor,
                longFactors);
    }

    /** Whether a longer context turns with other frequencies ({@link #longContext()}). */
    public boolean hasLongContext() {
        return longFrequencyFactors != null;
    }

    /** The RoPE of a context longer than {@code originalContextLength}: longrope's long factors. */
    public Rope longContext() {
        if (!hasLongContext()) {
            throw new IllegalStateException("this RoPE has no long-context factors");
        }
        return new Rope(theta, scaling, factor, lowFreqFactor, highFreqFactor, originalContextLength,
                longFrequencyFactors, pairing, attentionFactor, null);
    }

    /** Which dimensions of a head RoPE turns together, as the checkpoint's q and k rows are ordered. */
    public enum Pairing {
        /** i with i + rotated/2: Hugging Face's rotate_half, and GGUF files other than {@code llama}'s. */
        HALVES,
        /**
         * 2i with 2i + 1: GGUF {@code llama} and {@code granite} files, whose converter permuted the
         * q and k rows of each head for llama.cpp's rotation. The order within a head does not
         * change q·k when q and k share it, so the permuted rows run as they are.
         */
        ADJACENT
    }
}
