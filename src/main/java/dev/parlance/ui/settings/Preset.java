package dev.parlance.ui.settings;

/**
 * Ready-made sampling settings, from focused to inventive.
 *
 * @param temperature how flat the distribution is made; lower is more predictable
 * @param topP nucleus size
 * @param topK how many candidates are kept
 * @param minP the floor relative to the best candidate
 * @param repeatPenalty how much repeated tokens are discouraged
 */
public enum Preset {
    PRECISE(0.2, 0.9, 40, 0.05, 1.1),
    BALANCED(0.7, 0.9, 40, 0.05, 1.1),
    CREATIVE(1.0, 0.95, 0, 0.05, 1.05);

    private final double temperature;
    private final double topP;
    private final int topK;
    private final double minP;
    private final double repeatPenalty;

    Preset(double temperature, double topP, int topK, double minP, double repeatPenalty) {
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.minP = minP;
        this.repeatPenalty = repeatPenalty;
    }

    public double temperature() {
        return temperature;
    }

    public double topP() {
        return topP;
    }

    public int topK() {
        return topK;
    }

    public double minP() {
        return minP;
    }

    public double repeatPenalty() {
        return repeatPenalty;
    }
}
