package dev.parlance.inference.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a Llama-family model folder with seeded random weights at a chosen shape, and a
 * byte-level BPE tokenizer (256 byte tokens plus ChatML's special tokens). Speed can then be
 * measured at real models' shapes without downloading anything, and tests exercise the loader on
 * folders they made themselves. The weights are multiples of 1/512 up to 1/32 (norm weights 1 + k/128),
 * which F16 and BF16 hold exactly, so one model saved in any dtype computes the same numbers.
 */
public final class SyntheticModel {
    /** Shapes of real models. */
    public enum Shape {
        TINY(32, 64, 2, 4, 2, 288, 256, 10000, false, true),
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
            return name().toLowerCase(Locale.ROOT).replace("_5_", "2.5-").replace("2_5", "2.5").replace('_', '-');
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

    private static void writeWeights(Path folder, Shape s, SafeTensors.DType dtype, int shards, long seed)
            throws IOException {
        long hd = s.hidden / s.heads;
        List<Object[]> tensors = new ArrayList<>();
        tensors.add(new Object[] {"model.embed_tokens.weight", new long[] {s.vocab, s.hidden}});
        for (int i = 0; i < s.layers; i++) {
            String p = "model.layers." + i + ".";
            tensors.add(new Object[] {p + "input_layernorm.weight", new long[] {s.hidden}});
            tensors.add(new Object[] {p + "self_attn.q_proj.weight", new long[] {s.heads * hd, s.hidden}});
            tensors.add(new Object[] {p + "self_attn.k_proj.weight", new long[] {s.kvHeads * hd, s.hidden}});
            tensors.add(new Object[] {p + "self_attn.v_proj.weight", new long[] {s.kvHeads * hd, s.hidden}});
            if (s.qkvBias) {
                tensors.add(new Object[] {p + "self_attn.q_proj.bias", new long[] {s.heads * hd}});
                tensors.add(new Object[] {p + "self_attn.k_proj.bias", new long[] {s.kvHeads * hd}});
                tensors.add(new Object[] {p + "self_attn.v_proj.bias", new long[] {s.kvHeads * hd}});
            }
            tensors.add(new Object[] {p + "self_attn.o_proj.weight", new long[] {s.hidden, s.heads * hd}});
            tensors.add(new Object[] {p + "post_attention_layernorm.weight", new long[] {s.hidden}});
            tensors.add(new Object[] {p + "mlp.gate_proj.weight", new long[] {s.intermediate, s.hidden}});
            tensors.add(new Object[] {p + "mlp.up_proj.weight", new long[] {s.intermediate, s.hidden}});
            tensors.add(new Object[] {p + "mlp.down_proj.weight", new long[] {s.hidden, s.intermediate}});
        }
        tensors.add(new Object[] {"model.norm.weight", new long[] {s.hidden}});
        if (!s.tied) {
            tensors.add(new Object[] {"lm_head.weight", new long[] {s.vocab, s.hidden}});
        }
        JsonObject weightMap = new JsonObject();
        int perShard = (tensors.size() + shards - 1) / shards;
        for (int shard = 0; shard < shards; shard++) {
            String fileName = shards == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
            var writer = new SafeTensorsWriter(dtype);
            for (int t = shard * perShard; t < Math.min(tensors.size(), (shard + 1) * perShard); t++) {
                String name = (String) tensors.get(t)[0];
                long[] shape = (long[]) tensors.get(t)[1];
                boolean norm = name.endsWith("norm.weight");
                long tensorSeed = seed * 1_000_003L + t;
                writer.add(name, shape, (offset, chunk, count) -> fill(tensorSeed, norm, offset, chunk, count));
                weightMap.addProperty(name, fileName);
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

    /** Seeded values k/512 for k in -16..16 (norm weights: 1 + k/128, exact in BF16), from a hash of the position. */
    private static void fill(long seed, boolean norm, long offset, float[] chunk, int count) {
        for (int i = 0; i < count; i++) {
            long z = seed + (offset + i) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            int k = (int) Math.floorMod(z, 33) - 16;
            chunk[i] = norm ? 1 + k / 128f : k / 512f;
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
