package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.model.llama.LlamaConfig;

/**
 * Rotary position embedding in the Hugging Face "rotate_half" layout: dimension i turns with
 * i + headDim/2, by the angle {@code float32(position) * float32(invFreq[i])} (computed in float32,
 * as transformers does, so logits match to 1e-5); or, for GGUF {@code llama} files, dimensions 2i
 * and 2i + 1 by the same angles. Supports linear and Llama 3 frequency scaling, and frequency
 * factors given per pair.
 */
public final class RotaryEmbedding {
    private final float[] invFreq;
    private final int headDim;
    private final LlamaConfig.Pairing pairing;

    public RotaryEmbedding(LlamaConfig.Rope rope, int headDim) {
        this.headDim = headDim;
        this.pairing = rope.pairing();
        int half = headDim / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            invFreq[i] = 1.0f / (float) Math.pow(rope.theta(), exponent);
        }
        if (rope.scaling().equals("linear")) {
            for (int i = 0; i < half; i++) {
                invFreq[i] = (float) (invFreq[i] / rope.factor());
            }
        } else if (rope.scaling().equals("llama3")) {
            scaleLlama3(rope);
        }
        if (rope.frequencyFactors() != null) {
            if (rope.frequencyFactors().length != half) {
                throw new IllegalArgumentException("RoPE needs " + half + " frequency factors, not "
                        + rope.frequencyFactors().length);
            }
            for (int i = 0; i < half; i++) {
                invFreq[i] /= rope.frequencyFactors()[i];
            }
        }
    }

    /** Llama 3.1: long wavelengths slow down by {@code factor}, short ones stay, a blend between. */
    private void scaleLlama3(LlamaConfig.Rope rope) {
        double lowFreqWavelen = rope.originalContextLength() / rope.lowFreqFactor();
        double highFreqWavelen = rope.originalContextLength() / rope.highFreqFactor();
        for (int i = 0; i < invFreq.length; i++) {
            double freq = invFreq[i];
            double wavelen = 2 * Math.PI / freq;
            if (wavelen > lowFreqWavelen) {
                invFreq[i] = (float) (freq / rope.factor());
            } else if (wavelen >= highFreqWavelen) {
                double smooth = (rope.originalContextLength() / wavelen - rope.lowFreqFactor())
                        / (rope.highFreqFactor() - rope.lowFreqFactor());
                invFreq[i] = (float) ((1 - smooth) * freq / rope.factor() + smooth * freq);
            }
        }
    }

    /**
     * cos and sin tables for positions {@code start .. start + count - 1}, each {@code [count, 1, headDim]}
     * (broadcast over heads); sin carries the sign of rotate_half: {@code -sin} for the first half.
     */
    public NDArray[] tables(NDManager manager, int start, int count) {
        if (pairing != LlamaConfig.Pairing.HALVES) {
            throw new IllegalStateException("the tensor path rotates halves only");
        }
        int half = headDim / 2;
        float[] cos = new float[count * headDim];
        float[] sin = new float[count * headDim];
        for (int t = 0; t < count; t++) {
            float position = start + t;
            for (int i = 0; i < half; i++) {
                float angle = position * invFreq[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                int row = t * headDim;
                cos[row + i] = c;
                cos[row + half + i] = c;
                sin[row + i] = -s;
                sin[row + half + i] = s;
            }
        }
        Shape shape = new Shape(count, 1, headDim);
        return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
    }

    /** cos and sin of position {@code position}'s angles, {@code headDim / 2} each: {@code [cos..., sin...]}. */
    public float[] angles(int position) {
        int half = headDim / 2;
        float[] cosSin = new float[headDim];
        for (int i = 0; i < half; i++) {
            float angle = position * invFreq[i];
            cosSin[i] = (float) Math.cos(angle);
            cosSin[half + i] = (float) Math.sin(angle);
        }
        return cosSin;
    }

    /**
     * Rotates {@code heads} consecutive head vectors of {@code x} starting at {@code from}, in place,
     * for the position whose {@link #angles} are given (the one-token decode path, done in Java
     * because it is a few hundred multiplications).
     */
    public void rotate(float[] x, int from, int heads, float[] cosSin) {
        int half = headDim / 2;
        if (pairing == LlamaConfig.Pairing.ADJACENT) {
            for (int h = 0; h < heads; h++) {
                int base = from + h * headDim;
                for (int i = 0; i < half; i++) {
                    float c = cosSin[i];
                    float s = cosSin[half + i];
                    float a = x[base + 2 * i];
                    float b = x[base + 2 * i + 1];
                    x[base + 2 * i] = a * c - b * s;
                    x[base + 2 * i + 1] = b * c + a * s;
                }
            }
            return;
        }
        for (int h = 0; h < heads; h++) {
            int base = from + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = cosSin[i];
                float s = cosSin[half + i];
                float a = x[base + i];
                float b = x[base + half + i];
                x[base + i] = a * c - b * s;
                x[base + half + i] = b * c + a * s;
            }
        }
    }

    /**
     * Rotates {@code x} {@code [T, heads, headDim]}: {@code x * cos + swapHalves(x) * signedSin},
     * which equals HF's {@code x * cos + rotate_half(x) * sin}.
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray signedSin) {
        long half = x.getShape().get(2) / 2;
        NDArray swapped = x.get("..., " + half + ":").concat(x.get("..., :" + half), 2); // [T, heads, headDim]
        return x.mul(cos).add(swapped.mul(signedSin));
    }
}
