package dev.parlance.service;

import java.util.List;

/**
 * What the model attended to at one position: for each layer, the weight (averaged over the query
 * heads) that the query there gave every position up to it.
 *
 * @param tokens the text of each position's token, oldest first
 * @param weights {@code [layers][tokens.size()]}; each row sums to 1
 */
public record AttentionMap(List<String> tokens, float[][] weights) {
    public AttentionMap {
        tokens = List.copyOf(tokens);
        for (float[] row : weights) {
            if (row.length != tokens.size()) {
                throw new IllegalArgumentException("a layer has " + row.length + " weights for " + tokens.size()
                        + " tokens");
            }
        }
    }

    public int layers() {
        return weights.length;
    }

    /** Each position's weight in {@code layer}, or averaged over the layers when {@code layer} is -1. */
    public float[] row(int layer) {
        if (layer >= 0) {
            return weights[layer].clone();
        }
        float[] mean = new float[tokens.size()];
        for (float[] row : weights) {
            for (int p = 0; p < mean.length; p++) {
                mean[p] += row[p] / weights.length;
            }
        }
        return mean;
    }
}
