package dev.parlance.inference.model.decoder;

import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.gguf.GgufFile;
import dev.parlance.inference.gguf.GgufTensor;
import dev.parlance.inference.model.GgufWeights;
import dev.parlance.inference.model.Rope;
import java.util.Map;

/**
 * The hyper-parameters every family's GGUF file has, from its {@code <arch>.*} keys as llama.cpp
 * writes them; a family reads what is its own through {@link #number}, {@link #file()} and
 * {@link #prefix()}. The vocabulary size and whether the output is tied come from the tensors.
 */
public final class GgufConfigReader {
    private final GgufWeights weights;
    private final GgufFile file;
    private final String architecture;
    private final String prefix;

    /**
     * @param architectures the family's GGUF architectures, each with its Hugging Face name
     * @throws ModelLoadException when the file's architecture is not one of them
     */
    public GgufConfigReader(GgufWeights weights, Map<String, String> architectures) throws ModelLoadException {
        this.weights = weights;
        this.file = weights.file();
        this.architecture = file.string("general.architecture");
        if (!architectures.containsKey(architecture)) {
            throw new ModelLoadException(file.path(), "the GGUF architecture \"" + architecture + "\" is not one of "
                    + architectures.keySet());
        }
        this.prefix = architecture + ".";
    }

    public GgufFile file() {
        return file;
    }

    /** The file's {@code general.architecture}. */
    public String architecture() {
        return architecture;
    }

    /** {@code "<arch>."}, which the hyper-parameters' keys start with. */
    public String prefix() {
        return prefix;
    }

    /** A required positive size {@code <arch>.key}. */
    public int size(String key) throws ModelLoadException {
        long value = file.integer(prefix + key);
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new ModelLoadException(file.path(), prefix + key + " is " + value + ", which is not a usable size");
        }
        return (int) value;
    }

    /** {@code <arch>.key} as a number, or {@code fallback}. */
    public double number(String key, double fallback) {
        return file.number(prefix + key, fallback);
    }

    /**
     * {@code <arch>.key} as a scale (an epsilon, a RoPE base or factor), or {@code fallback}: 0,
     * below 0 or not finite is refused, naming the key, as every answer would be NaN.
     */
    public double positiveNumber(String key, double fallback) throws ModelLoadException {
        return file.positiveNumber(prefix + key, fallback);
    }

    public int heads() throws ModelLoadException {
        return size("attention.head_count");
    }

    public int headDim() throws ModelLoadException {
        int heads = heads();
        int headDim = (int) file.optInteger(prefix + "attention.key_length")
                .orElse(heads > 0 ? size("embedding_length") / heads : 0);
        long valueDim = file.optInteger(prefix + "attention.value_length").orElse(headDim);
        if (valueDim != headDim) {
            throw new ModelLoadException(file.path(), "keys of " + headDim + " and values of " + valueDim
                    + " dimensions per head are not supported");
        }
        return headDim;
    }

    /** How many leading dimensions of each head RoPE turns. */
    public int rotaryDims() throws ModelLoadException {
        return (int) file.optInteger(prefix + "rope.dimension_count").orElse(headDim());
    }

    /**
     * RoPE of base {@code <arch>.rope.freq_base}, with its scaling and the {@code rope_freqs}
     * tensor's frequency factors where there are any.
     */
    public Rope rope(Rope.Pairing pairing) throws ModelLoadException {
        float[] frequencyFactors = weights.optionalVector("rope_freqs.weight", rotaryDims() / 2).orElse(null);
        String scaling = file.optString(prefix + "rope.scaling.type").orElse("none");
        double theta = positiveNumber("rope.freq_base", 10000.0);
        return switch (scaling) {
            case "none" -> new Rope(theta, "none", 1, 1, 1, 0, frequencyFactors, pairing);
            case "linear" -> new Rope(theta, "linear", positiveNumber("rope.scaling.factor", 1), 1, 1, 0,
                    frequencyFactors, pairing);
            default -> throw new ModelLoadException(file.path(), "RoPE scaling \"" + scaling
                    + "\" is not supported (linear is)");
        };
    }

    /**
     * The configuration with the common sizes read from the file.
     *
     * @param huggingFaceArchitecture the name the configuration goes by
     */
    public DecoderConfig config(String huggingFaceArchitecture, Architecture design) throws ModelLoadException {
        GgufTensor embeddings = file.tensor("token_embd.weight");
        if (embeddings.ne().length != 2) {
            throw new ModelLoadException(file.path(), "token_embd.weight is not a matrix");
        }
        int heads = heads();
        try {
            return new DecoderConfig(
                    huggingFaceArchitecture,
                    size("embedding_length"),
                    size("feed_forward_length"),
                    size("block_count"),
                    heads,
                    (int) file.optInteger(prefix + "attention.head_count_kv").orElse(heads),
                    headDim(),
                    embeddings.rows(),
                    size("context_length"),
                    positiveNumber("attention.layer_norm_rms_epsilon", 1e-5),
                    file.findTensor("blk.0.attn_q.bias").isPresent() || file.findTensor("blk.0.attn_qkv.bias").isPresent(),
                    file.findTensor("output.weight").isEmpty(),
                    design);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file.path(), e.getMessage(), e);
        }
    }
}
