package dev.parlance.inference.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.gguf.GgufFileWriter;
import dev.parlance.inference.tensor.Quantizer;
import dev.parlance.inference.tensor.WeightMatrix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * Writes a Llama-family model folder with seeded random weights at a chosen shape, and a
 * byte-level BPE tokenizer (256 byte tokens plus ChatML's special tokens). Speed can then be
 * measured at real models' shapes without downloading anything, and tests exercise the loader on
 * folders they made themselves. The weights are multiples of 1/512 up to 1/32 (norm weights 1 + k/128),
 * which F16 and BF16 hold exactly, so one model saved in any dtype computes the same numbers.
 * {@link #writeGguf} writes the same weights as one GGUF file, so one model exists in both forms.
 */
public final class SyntheticModel {
    /** Shapes of real models. */
    public enum Shape {
        TINY(32, 64, 2, 4, 2, 288, 256, 10000, false, true),
        /** TINY with Qwen2's q/k/v biases and RoPE base. */
        TINY_QWEN2(32, 64, 2, 4, 2, 288, 256, 1000000, true, true),
        SMOLLM2_135M(576, 1536, 30, 9, 3, 49152, 8192, 100000, false, true),
        QWEN2_5_0_5B(896, 4864, 24, 14, 2, 151936, 32768, 1000000, true, true),
        TINYLLAMA_1_1B(2048, 5632, 22, 32, 4, 32000, 2048, 10000, false, false);

        final int hidden;
        final int intermediate;
        final int layers;
        final int heads;
        final int kvHeads;
        final int vocab;
        final int context;
        final double ropeTheta;
        final boolean qkvBias;
        final boolean tied;

        Shape(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab, int context,
                double ropeTheta, boolean qkvBias, boolean tied) {
            this.hidden = hidden;
            this.intermediate = intermediate;
            this.layers = layers;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.vocab = vocab;
            this.context = context;
            this.ropeTheta = ropeTheta;
            this.qkvBias = qkvBias;
            this.tied = tied;
        }

        /** Parses {@code smollm2-135m}, {@code qwen2.5-0.5b}, {@code tinyllama-1.1b} or {@code tiny}. */
        public static Shape parse(String name) {
            String key = name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
            return valueOf(key);
        }

        public String displayName() {
            return switch (this) {
                case TINY -> "tiny";
                case TINY_QWEN2 -> "tiny-qwen2";
                case SMOLLM2_135M -> "smollm2-135m";
                case QWEN2_5_0_5B -> "qwen2.5-0.5b";
                case TINYLLAMA_1_1B -> "tinyllama-1.1b";
            };
        }
    }

    /** Byte tokens come first; these special tokens follow them. */
    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private SyntheticModel() {}

    /**
     * Writes the folder.
     *
     * @param shards 1 for {@code model.safetensors}, more for an index and that many shard files
     */
    public static Path write(Path folder, Shape shape, SafeTensors.DType dtype, int shards, long seed)
            throws IOException {
        Files.createDirectories(folder);
        writeJson(folder.resolve("config.json"), config(shape));
        JsonObject generation = new JsonObject();
        generation.addProperty("bos_token_id", 256);
        generation.addProperty("eos_token_id", 258);
        writeJson(folder.resolve("generation_config.json"), generation);
        writeJson(folder.resolve("tokenizer.json"), tokenizer());
        JsonObject tokenizerConfig = new JsonObject();
        tokenizerConfig.addProperty("bos_token", "<|endoftext|>");
        tokenizerConfig.addProperty("eos_token", "<|im_end|>");
        tokenizerConfig.addProperty("chat_template", CHATML);
        writeJson(folder.resolve("tokenizer_config.json"), tokenizerConfig);
        writeWeights(folder, shape, dtype, shards, seed);
        return folder;
    }

    private static JsonObject config(Shape s) {
        JsonObject c = new JsonObject();
        JsonArray architectures = new JsonArray();
        architectures.add(s.qkvBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        c.add("architectures", architectures);
        c.addProperty("model_type", s.qkvBias ? "qwen2" : "llama");
        c.addProperty("hidden_size", s.hidden);
        c.addProperty("intermediate_size", s.intermediate);
        c.addProperty("num_hidden_layers", s.layers);
        c.addProperty("num_attention_heads", s.heads);
        c.addProperty("num_key_value_heads", s.kvHeads);
        c.addProperty("vocab_size", s.vocab);
        c.addProperty("max_position_embeddings", s.context);
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("rope_theta", s.ropeTheta);
        c.addProperty("tie_word_embeddings", s.tied);
        c.addProperty("hidden_act", "silu");
        c.addProperty("bos_token_id", 256);
        c.addProperty("eos_token_id", 258);
        return c;
    }

    /**
     * Writes the model as one GGUF file holding the weights {@link #write} gives the folder of this
     * shape and seed, with llama.cpp's tensor names and hyper-parameter keys (those of
     * {@code src/bench/llama-cpp/to_gguf.py}). Shapes with q/k/v biases make {@code qwen2} files, the
     * others {@code llama} files, whose {@code attn_q} / {@code attn_k} rows are permuted as llama.cpp's
     * converter does for its adjacent-pair RoPE. The vocabulary is SentencePiece placeholders
     * ({@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte pieces {@code <0x00>}.., then
     * {@code tokN}) with BOS 1 and EOS 2, not the folder's byte-level BPE: benchmarks and tests feed
     * token ids, not text. The file is written a row at a time, so any shape needs little heap.
     *
     * @param type how matrices are stored, by {@link Quantizer}: F32; F16 or BF16 (exact for these
     *     weights); Q8_0 or Q4_0, as ggml's reference quantizers write them. A matrix whose rows are not whole
     *     blocks falls back to F16 and norms and biases stay F32, as llama.cpp stores them.
     * @throws IllegalArgumentException for another type
     */
    public static Path writeGguf(Path file, Shape shape, GgmlType type, long seed) throws IOException {
        int fileType = switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("synthetic GGUF files are F32, F16, BF16, Q8_0 or Q4_0, not "
                    + type);
        };
        String arch = shape.qkvBias ? "qwen2" : "llama";
        int headDim = shape.hidden / shape.heads;
        var gguf = new GgufFileWriter()
                .putString("general.architecture", arch)
                .putString("general.name", "synthetic " + shape.displayName())
                .putUint32("general.alignment", GgufFileWriter.ALIGNMENT)
                .putUint32("general.file_type", fileType)
                .putUint32(arch + ".context_length", shape.context)
                .putUint32(arch + ".embedding_length", shape.hidden)
                .putUint32(arch + ".block_count", shape.layers)
                .putUint32(arch + ".feed_forward_length", shape.intermediate)
                .putUint32(arch + ".attention.head_count", shape.heads)
                .putUint32(arch + ".attention.head_count_kv", shape.kvHeads)
                .putFloat32(arch + ".rope.freq_base", (float) shape.ropeTheta)
                .putUint32(arch + ".rope.dimension_count", headDim)
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
        putPlaceholderVocabulary(gguf, shape.vocab);
        for (Tensor tensor : tensors(shape, seed)) {
            String name = ggufName(tensor.name());
            long[] ne = tensor.shape().length == 1 ? tensor.shape() : new long[] {tensor.shape()[1], tensor.shape()[0]};
            int cols = (int) ne[0];
            GgmlType stored = ne.length == 1 ? GgmlType.F32 : cols % type.blockSize() == 0 ? type : GgmlType.F16;
            // llama.cpp's llama RoPE rotates adjacent pairs: within each head, GGUF row 2r + j is HF row j*hd/2 + r
            int permutedHeads = !arch.equals("llama") ? 0
                    : name.endsWith("attn_q.weight") ? shape.heads
                    : name.endsWith("attn_k.weight") ? shape.kvHeads : 0;
            gguf.tensor(name, stored, ne, new QuantizedRows(stored, cols, (int) (tensor.elements() / cols),
                    (row, into) -> {
                        long hfRow = permutedHeads == 0 ? row
                                : row - row % headDim + (row % 2) * (headDim / 2) + (row % headDim) / 2;
                        tensor.fill(hfRow * cols, into, cols);
                    }));
        }
        gguf.write(file);
        return file;
    }

    private static void putPlaceholderVocabulary(GgufFileWriter gguf, int vocab) {
        if (vocab < 3 + 256) {
            throw new IllegalArgumentException("a vocabulary of " + vocab + " has no room for the 259 fixed pieces");
        }
        List<String> tokens = new ArrayList<>(vocab);
        List<Float> scores = new ArrayList<>(vocab);
        List<Integer> types = new ArrayList<>(vocab);
        tokens.addAll(List.of("<unk>", "<s>", "</s>"));
        types.addAll(List.of(2, 3, 3));  // unknown, control, control
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6);  // byte
        }
        for (int id = tokens.size(); id < vocab; id++) {
            tokens.add("tok" + id);
            types.add(1);  // normal
        }
        for (int id = 0; id < vocab; id++) {
            scores.add((float) -id);
        }
        gguf.putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GgufFileWriter.ValueType.STRING, tokens)
                .putArray("tokenizer.ggml.scores", GgufFileWriter.ValueType.FLOAT32, scores)
                .putArray("tokenizer.ggml.token_type", GgufFileWriter.ValueType.INT32, types)
                .putUint32("tokenizer.ggml.bos_token_id", 1)
                .putUint32("tokenizer.ggml.eos_token_id", 2);
    }

    /** llama.cpp's name of a Hugging Face tensor. */
    private static String ggufName(String hfName) {
        switch (hfName) {
            case "model.embed_tokens.weight":
                return "token_embd.weight";
            case "model.norm.weight":
                return "output_norm.weight";
            case "lm_head.weight":
                return "output.weight";
            default:
                break;
        }
        String[] parts = hfName.split("\\.", 4);  // model, layers, N, rest
        String rest = parts[3];
        int dot = rest.lastIndexOf('.');
        String module = switch (rest.substring(0, dot)) {
            case "input_layernorm" -> "attn_norm";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.o_proj" -> "attn_output";
            case "post_attention_layernorm" -> "ffn_norm";
            case "mlp.gate_proj" -> "ffn_gate";
            case "mlp.up_proj" -> "ffn_up";
            case "mlp.down_proj" -> "ffn_down";
            default -> throw new IllegalStateException("no GGUF name for " + hfName);
        };
        return "blk." + parts[2] + "." + module + rest.substring(dot);
    }

    /**
     * A tensor's rows for {@link GgufFileWriter}, which asks for them in order: {@link Quantizer}
     * stores a few MiB of them at a time, so a large tensor never sits in memory whole.
     */
    private static final class QuantizedRows implements GgufFileWriter.RowWriter {
        private static final long CHUNK_BYTES = 4 << 20;

        private final GgmlType type;
        private final int cols;
        private final int rows;
        private final Quantizer.RowSource source;
        private final int chunkRows;
        private Arena arena;
        private WeightMatrix chunk;
        private int first;

        QuantizedRows(GgmlType type, int cols, int rows, Quantizer.RowSource source) {
            this.type = type;
            this.cols = cols;
            this.rows = rows;
            this.source = source;
            this.chunkRows = (int) Math.max(1, CHUNK_BYTES / type.bytesFor(cols));
        }

        @Override
        public void write(long row, MemorySegment out) {
            if (chunk == null || row >= first + chunk.rows()) {
                if (arena != null) {
                    arena.close();
                }
                arena = Arena.ofConfined();
                int start = (int) row;
                first = start;
                chunk = Quantizer.quantize(type, Math.min(chunkRows, rows - start), cols,
                        (r, into) -> source.row(start + r, into), arena);
            }
            out.copyFrom(chunk.data().asSlice((row - first) * out.byteSize(), out.byteSize()));
            if (row == rows - 1) {
                arena.close();
                arena = null;
                chunk = null;
            }
        }
    }

    /** One tensor of the model: its Hugging Face name and shape, and the seed of its values. */
    private record Tensor(String name, long[] shape, long seed) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        boolean isNorm() {
            return name.endsWith("norm.weight");
        }

        /**
         * Row-major values {@code offset .. offset + count} into {@code chunk}: k/512 for k in -16..16
         * (norm weights 1 + k/128, exact in BF16), from a hash of the seed and the position.
         */
        void fill(long offset, float[] chunk, int count) {
            for (int i = 0; i < count; i++) {
                long z = seed + (offset + i) * 0x9E3779B97F4A7C15L;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                z ^= z >>> 31;
                int k = (int) Math.floorMod(z, 33) - 16;
                chunk[i] = isNorm() ? 1 + k / 128f : k / 512f;
            }
        }
    }

    /** Every tensor of the model in Hugging Face form, in the order that seeds them. */
    private static List<Tensor> tensors(Shape s, long seed) {
        long hd = s.hidden / s.heads;
        List<Tensor> tensors = new ArrayList<>();
        BiConsumer<String, long[]> add = (name, shape) ->
                tensors.add(new Tensor(name, shape, seed * 1_000_003L + tensors.size()));
        add.accept("model.embed_tokens.weight", new long[] {s.vocab, s.hidden});
        for (int i = 0; i < s.layers; i++) {
            String p = "model.layers." + i + ".";
            add.accept(p + "input_layernorm.weight", new long[] {s.hidden});
            add.accept(p + "self_attn.q_proj.weight", new long[] {s.heads * hd, s.hidden});
            add.accept(p + "self_attn.k_proj.weight", new long[] {s.kvHeads * hd, s.hidden});
            add.accept(p + "self_attn.v_proj.weight", new long[] {s.kvHeads * hd, s.hidden});
            if (s.qkvBias) {
                add.accept(p + "self_attn.q_proj.bias", new long[] {s.heads * hd});
                add.accept(p + "self_attn.k_proj.bias", new long[] {s.kvHeads * hd});
                add.accept(p + "self_attn.v_proj.bias", new long[] {s.kvHeads * hd});
            }
            add.accept(p + "self_attn.o_proj.weight", new long[] {s.hidden, s.heads * hd});
            add.accept(p + "post_attention_layernorm.weight", new long[] {s.hidden});
            add.accept(p + "mlp.gate_proj.weight", new long[] {s.intermediate, s.hidden});
            add.accept(p + "mlp.up_proj.weight", new long[] {s.intermediate, s.hidden});
            add.accept(p + "mlp.down_proj.weight", new long[] {s.hidden, s.intermediate});
        }
        add.accept("model.norm.weight", new long[] {s.hidden});
        if (!s.tied) {
            add.accept("lm_head.weight", new long[] {s.vocab, s.hidden});
        }
        return tensors;
    }

    private static void writeWeights(Path folder, Shape s, SafeTensors.DType dtype, int shards, long seed)
            throws IOException {
        List<Tensor> tensors = tensors(s, seed);
        JsonObject weightMap = new JsonObject();
        int perShard = (tensors.size() + shards - 1) / shards;
        for (int shard = 0; shard < shards; shard++) {
            String fileName = shards == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
            var writer = new SafeTensorsWriter(dtype);
            for (Tensor tensor : tensors.subList(Math.min(tensors.size(), shard * perShard),
                    Math.min(tensors.size(), (shard + 1) * perShard))) {
                writer.add(tensor.name(), tensor.shape(), tensor::fill);
                weightMap.addProperty(tensor.name(), fileName);
            }
            writer.write(folder.resolve(fileName));
        }
        if (shards > 1) {
            JsonObject index = new JsonObject();
            index.add("metadata", new JsonObject());
            index.add("weight_map", weightMap);
            writeJson(folder.resolve("model.safetensors.index.json"), index);
        }
    }

    /** A byte-level BPE tokenizer: GPT-2's byte-to-character table, no merges. */
    private static JsonObject tokenizer() {
        JsonObject vocab = new JsonObject();
        int[] byteToChar = byteToUnicode();
        for (int b = 0; b < 256; b++) {
            vocab.addProperty(new String(Character.toChars(byteToChar[b])), b);
        }
        JsonArray added = new JsonArray();
        for (int i = 0; i < SPECIAL_TOKENS.size(); i++) {
            JsonObject token = new JsonObject();
            token.addProperty("id", 256 + i);
            token.addProperty("content", SPECIAL_TOKENS.get(i));
            token.addProperty("single_word", false);
            token.addProperty("lstrip", false);
            token.addProperty("rstrip", false);
            token.addProperty("normalized", false);
            token.addProperty("special", true);
            added.add(token);
            vocab.addProperty(SPECIAL_TOKENS.get(i), 256 + i);
        }
        JsonObject byteLevel = new JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("add_prefix_space", false);
        byteLevel.addProperty("trim_offsets", true);
        byteLevel.addProperty("use_regex", true);
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", null);
        model.add("unk_token", null);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.add("vocab", vocab);
        model.add("merges", new JsonArray());
        JsonObject tokenizer = new JsonObject();
        tokenizer.addProperty("version", "1.0");
        tokenizer.add("truncation", null);
        tokenizer.add("padding", null);
        tokenizer.add("added_tokens", added);
        tokenizer.add("normalizer", null);
        tokenizer.add("pre_tokenizer", byteLevel);
        tokenizer.add("post_processor", byteLevel);
        tokenizer.add("decoder", byteLevel);
        tokenizer.add("model", model);
        return tokenizer;
    }

    /** GPT-2's reversible map from bytes to printable characters. */
    private static int[] byteToUnicode() {
        int[] map = new int[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = printable[b] ? b : 256 + next++;
        }
        return map;
    }

    private static void writeJson(Path file, JsonObject json) throws IOException {
        Files.writeString(file, new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(json));
    }
}
