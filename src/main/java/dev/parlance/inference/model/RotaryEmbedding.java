package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding over the first {@code rotated} dimensions of each head (all of them
 * but in Phi-3's and Phi-4's partial rotary), in the Hugging Face "rotate_half" layout: dimension
 * i turns with i + rotated/2, by the angle {@code float32(position) * float32(invFreq[i])}
 * (computed in float32, as transformers does, so logits match to 1e-5), where
 * {@code invFreq[i] = theta^(-2i/rotated)}; or, for GGUF {@code llama} files, dimensions 2i and
 * 2i + 1 by the same angles. Dimensions from {@code rotated} on pass unchanged. Supports linear
 * and Llama 3 frequency scaling, frequency factors given per pair, and longrope's attention
 * factor on cos and sin.
 */
public final class RotaryEmbedding {
    private final float[] invFreq;
    private final int headDim;
    private final int rotated;
    private final Rope.Pairing pairing;
    /** What cos and sin are multiplied by (longrope's attention factor), in float32 as transformers does. */
    private final float attentionFactor;

    /** RoPE over every dimension of a head. */
    public RotaryEmbedding(Rope rope, int headDim) {
        this(rope, headDim, headDim);
    }

    /**
     * @param rotated how many leading dimensions of each head turn: even, at most {@code headDim}
     */
    public RotaryEmbedding(Rope rope, int headDim, int rotated) {
        if (rotated <= 0 || rotated % 2 != 0 || rotated > headDim) {
            throw new IllegalArgumentException("RoPE turns an even number of a head's " + headDim
                    + " dimensions, not " + rotated);
        }
        this.headDim = headDim;
        this.rotated = rotated;
        this.pairing = rope.pairing();
        this.attentionFactor = (float) rope.attentionFactor();
        int half = rotated / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) rotated;
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
                float factor = rope.frequencyFactors()[i];
                // longrope rounds 1 / (factor * theta^e) as transformers does
                invFreq[i] = rope.scaling().equals("longrope")
                        ? 1.0f / (factor * (float) Math.pow(rope.theta(), (float) (2 * i) / (float) rotated))
                        : invFreq[i] / factor;
            }
        }
    }

    /** Llama 3.1: long wavelengths slow down by {@code factor}, short ones stay, a blend between. */
    private void scaleLlama3(Rope rope) {
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
        if (pairing != Rope.Pairing.HALVES || rotated != headDim || attentionFactor != 1) {
            throw new IllegalStateException("the tensor path rotates the halves of whole heads only, unscaled");
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

    /**
     * cos and sin of position {@code position}'s angles, {@code rotated / 2} each, into
     * {@code into[offset ..]}: {@code [cos..., sin...]}, times the attention factor.
     */
    public void angles(int position, float[] into, int offset) {
        int half = rotated / 2;
        for (int i = 0; i < half; i++) {
            float angle = position * invFreq[i];
            into[offset + i] = (float) Math.cos(angle) * attentionFactor;
            into[offset + half + i] = (float) Math.sin(angle) * attentionFactor;
        }
    }

    /** The values {@link #angles} writes for one position. */
    public int anglesLength() {
        return rotated;
    }

    /**
     * Rotates {@code heads} consecutive head vectors of {@code x} starting at {@code from}, in place,
     * for the position whose {@link #angles angles} are given.
     */
    public void rotate(float[] x, int from, int heads, float[] cosSin) {
        rotate(x, from, heads, cosSin, 0);
    }

    /** {@link #rotate(float[], int, int, float[])} with the angles at {@code cosSin[anglesOffset ..]}. */
    public void rotate(float[] x, int from, int heads, float[] cosSin, int anglesOffset) {
        int half = rotated / 2;
        int step = pairing == Rope.Pairing.ADJACENT ? 1 : half; // a pair is (i, i + 1) or (i, i + half)
        int stride = pairing == Rope.Pairing.ADJACENT ? 2 : 1;
        for (int h = 0; h < heads; h++) {
            int base = from + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = cosSin[anglesOffset + i];
                float s = cosSin[anglesOffset + half + i];
                int first = base + i * stride;
                float a = x[first];
                float b = x[first + step];
                x[first] = a * c - b * s;
                x[first + step] = b * c + a * s;
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
