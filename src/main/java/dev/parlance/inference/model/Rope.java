package dev.parlance.inference.model;

/**
 * Rotary position embedding parameters: how fast each rotated pair of a head turns.
 *
 * @param theta the base of the frequencies
 * @param scaling "none", "linear" or "llama3"
 * @param frequencyFactors per rotated pair, what each frequency is divided by (a GGUF file's
 *     {@code rope_freqs} tensor, Llama 3.1's scaling computed by its converter), or null
 * @param pairing which dimensions turn together
 */
public record Rope(double theta, String scaling, double factor, double lowFreqFactor, double highFreqFactor,
        int originalContextLength, float[] frequencyFactors, Pairing pairing) {

    public Rope(double theta, String scaling, double factor, double lowFreqFactor, double highFreqFactor,
            int originalContextLength) {
        this(theta, scaling, factor, lowFreqFactor, highFreqFactor, originalContextLength, null, Pairing.HALVES);
    }

    /** Unscaled frequencies of base {@code theta}, rotating halves. */
    public static Rope plain(double theta) {
        return new Rope(theta, "none", 1, 1, 1, 0);
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
