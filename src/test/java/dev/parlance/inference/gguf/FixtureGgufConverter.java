package dev.parlance.inference.gguf;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.SafeTensors;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts a Hugging Face fixture folder of the newer families (Gemma 2 and 3, Phi-3 with or
 * without longrope, Granite, SmolLM3, Qwen3-MoE; float32, byte-level BPE tokenizer) to an F32 GGUF file as
 * llama.cpp's {@code convert_hf_to_gguf.py} does: its tensor names, its {@code <arch>.*} keys,
 * Gemma's norm weights stored as {@code 1 + w}, Granite's and SmolLM3's q and k rows permuted for
 * llama.cpp's adjacent-pair RoPE, as for {@code llama}, and Phi-3's longrope factors as the
 * {@code rope_factors_short} / {@code rope_factors_long} tensors, and Qwen3-MoE's experts stacked
 * into one tensor per layer and projection ({@code ffn_gate_exps} {@code [experts, I, hidden]}...).
 *
 * <p>Where a fixture departs from the released models' values that llama.cpp fixes in code, the
 * file carries gguf-py's keys for them, which llama.cpp does not read for {@code gemma3}: tiny-gemma3's
 * layer pattern (sliding, sliding, full, sliding: {@code gemma3.attention.sliding_window_pattern}
 * as one flag per layer, where llama.cpp assumes every sixth layer global), its sliding layers'
 * RoPE base ({@code gemma3.rope.freq_base_swa}, 10,000 as llama.cpp assumes) and its
 * query_pre_attn_scalar of 24 ({@code gemma3.attention.scale}, where llama.cpp takes
 * 1/sqrt(head_dim)). llama.cpp would run such a file with its own values.
 */
public final class FixtureGgufConverter {
    private FixtureGgufConverter() {}

    /** Writes {@code folder} as the GGUF file {@code file}, returned. */
    public static Path convert(Path folder, Path file) throws IOException, ModelLoadException {
        JsonObject config = json(folder.resolve("config.json"));
        String architecture = config.getAsJsonArray("architectures").get(0).getAsString();
        String arch = switch (architecture) {
            case "Gemma3ForCausalLM" -> "gemma3";
            case "Phi3ForCausalLM" -> "phi3";
            case "GraniteForCausalLM" -> "granite";
            case "Gemma2ForCausalLM" -> "gemma2";
            case "SmolLM3ForCausalLM" -> "smollm3";
            case "Qwen3MoeForCausalLM" -> "qwen3moe";
            default -> throw new IllegalArgumentException("no conversion for " + architecture);
        };
        int hidden = config.get("hidden_size").getAsInt();
        int heads = config.get("num_attention_heads").getAsInt();
        int kvHeads = config.get("num_key_value_heads").getAsInt();
        int headDim = config.has("head_dim") ? config.get("head_dim").getAsInt() : hidden / heads;
        int layers = config.get("num_hidden_layers").getAsInt();
        JsonObject rope = config.getAsJsonObject("rope_parameters");
        var gguf = new GgufFileWriter()
                .putString("general.architecture", arch)
                .putString("general.name", folder.getFileName().toString())
                .putUint32("general.alignment", GgufFileWriter.ALIGNMENT)
                .putUint32("general.file_type", 0)
                .putUint32(arch + ".context_length", config.get("max_position_embeddings").getAsInt())
                .putUint32(arch + ".embedding_length", hidden)
                .putUint32(arch + ".block_count", layers)
                .putUint32(arch + ".feed_forward_length", config.get("intermediate_size").getAsInt())
                .putUint32(arch + ".attention.head_count", heads)
                .putUint32(arch + ".attention.head_count_kv", kvHeads)
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", config.get("rms_norm_eps").getAsFloat());
        switch (arch) {
            case "gemma3" -> {
                List<Boolean> sliding = new ArrayList<>();
                for (JsonElement type : config.getAsJsonArray("layer_types")) {
                    sliding.add(type.getAsString().equals("sliding_attention"));
                }
                gguf.putUint32(arch + ".attention.key_length", headDim)
                        .putUint32(arch + ".attention.value_length", headDim)
                        .putFloat32(arch + ".rope.freq_base",
                                rope.getAsJsonObject("full_attention").get("rope_theta").getAsFloat())
                        .putFloat32(arch + ".rope.freq_base_swa",
                                rope.getAsJsonObject("sliding_attention").get("rope_theta").getAsFloat())
                        .putUint32(arch + ".attention.sliding_window", config.get("sliding_window").getAsInt())
                        .putArray(arch + ".attention.sliding_window_pattern", GgufFileWriter.ValueType.BOOL, sliding)
                        .putFloat32(arch + ".attention.scale",
                                (float) Math.pow(config.get("query_pre_attn_scalar").getAsDouble(), -0.5));
            }
            case "gemma2" -> gguf.putUint32(arch + ".attention.key_length", headDim)
                    .putUint32(arch + ".attention.value_length", headDim)
                    .putFloat32(arch + ".rope.freq_base", rope.get("rope_theta").getAsFloat())
                    .putUint32(arch + ".attention.sliding_window", config.get("sliding_window").getAsInt())
                    .putFloat32(arch + ".attn_logit_softcapping", config.get("attn_logit_softcapping").getAsFloat())
                    .putFloat32(arch + ".final_logit_softcapping", config.get("final_logit_softcapping").getAsFloat());
            case "phi3" -> {
                int rotaryDims = (int) (rope.get("partial_rotary_factor").getAsDouble() * hidden) / heads;
                gguf.putFloat32(arch + ".rope.freq_base", rope.get("rope_theta").getAsFloat())
                        .putUint32(arch + ".rope.dimension_count", rotaryDims);
                if (rope.has("long_factor")) { // LongRoPE, as convert_hf_to_gguf.py's Phi3MiniModel writes it
                    int original = config.get("original_max_position_embeddings").getAsInt();
                    double scale = config.get("max_position_embeddings").getAsDouble() / original;
                    gguf.putUint32(arch + ".rope.scaling.original_context_length", original)
                            .putFloat32(arch + ".rope.scaling.attn_factor",
                                    (float) Math.sqrt(1 + Math.log(scale) / Math.log(original)));
                    tensor(gguf, "rope_factors_long.weight", floats(rope.getAsJsonArray("long_factor")));
                    tensor(gguf, "rope_factors_short.weight", floats(rope.getAsJsonArray("short_factor")));
                }
            }
            case "qwen3moe" -> gguf.putUint32(arch + ".attention.key_length", headDim)
                    .putUint32(arch + ".attention.value_length", headDim)
                    .putFloat32(arch + ".rope.freq_base", rope.get("rope_theta").getAsFloat())
                    .putUint32(arch + ".expert_count", config.get("num_local_experts").getAsInt())
                    .putUint32(arch + ".expert_used_count", config.get("num_experts_per_tok").getAsInt())
                    .putUint32(arch + ".expert_feed_forward_length", config.get("moe_intermediate_size").getAsInt());
            case "smollm3" -> gguf.putFloat32(arch + ".rope.freq_base", rope.get("rope_theta").getAsFloat())
                    .putUint32(arch + ".rope.dimension_count", headDim);
            default -> gguf.putFloat32(arch + ".rope.freq_base", rope.get("rope_theta").getAsFloat())
                    .putUint32(arch + ".rope.dimension_count", headDim)
                    .putFloat32(arch + ".embedding_scale", config.get("embedding_multiplier").getAsFloat())
                    .putFloat32(arch + ".residual_scale", config.get("residual_multiplier").getAsFloat())
                    .putFloat32(arch + ".attention.scale", config.get("attention_multiplier").getAsFloat())
                    .putFloat32(arch + ".logit_scale", config.get("logits_scaling").getAsFloat());
        }
        putTokenizer(gguf, folder, config);
        SafeTensors tensors = SafeTensors.open(folder);
        for (SafeTensors.TensorInfo info : tensors.tensors().values()) {
            if (info.name().contains(".mlp.experts.")) {
                continue; // stacked below
            }
            float[] values = values(info);
            String name = ggufName(info.name(), arch);
            if (arch.startsWith("gemma") && info.name().endsWith("norm.weight")) {
                for (int i = 0; i < values.length; i++) {
                    values[i] += 1; // Gemma3RMSNorm multiplies by 1 + w; llama.cpp stores 1 + w
                }
            }
            boolean permuted = arch.equals("granite") || arch.equals("smollm3");
            if (permuted && name.endsWith("attn_q.weight")) {
                values = permuted(values, heads, headDim, hidden);
            } else if (permuted && name.endsWith("attn_k.weight")) {
                values = permuted(values, kvHeads, headDim, hidden);
            }
            long[] shape = info.shape();
            gguf.tensor(name, GgmlType.F32, shape.length == 1 ? shape : new long[] {shape[1], shape[0]}, bytes(values));
        }
        if (arch.equals("qwen3moe")) {
            int experts = config.get("num_local_experts").getAsInt();
            for (int layer = 0; layer < layers; layer++) {
                for (String projection : List.of("gate", "up", "down")) {
                    List<float[]> parts = new ArrayList<>();
                    long[] shape = null;
                    for (int e = 0; e < experts; e++) {
                        SafeTensors.TensorInfo info = tensors.tensors()
                                .get("model.layers." + layer + ".mlp.experts." + e + "." + projection + "_proj.weight");
                        parts.add(values(info));
                        shape = info.shape();
                    }
                    float[] all = new float[parts.size() * parts.getFirst().length];
                    for (int e = 0; e < experts; e++) {
                        System.arraycopy(parts.get(e), 0, all, e * parts.get(e).length, parts.get(e).length);
                    }
                    gguf.tensor("blk." + layer + ".ffn_" + projection + "_exps.weight", GgmlType.F32,
                            new long[] {shape[1], shape[0], experts}, bytes(all));
                }
            }
        }
        gguf.write(file);
        return file;
    }

    private static float[] values(SafeTensors.TensorInfo info) throws ModelLoadException {
        if (info.dtype() != SafeTensors.DType.F32) {
            throw new IllegalArgumentException(info.name() + " is not float32");
        }
        float[] values = new float[(int) info.elements()];
        SafeTensors.map(info).asFloatBuffer().get(values);
        return values;
    }

    private static void tensor(GgufFileWriter gguf, String name, float[] values) {
        gguf.tensor(name, GgmlType.F32, new long[] {values.length}, bytes(values));
    }

    private static MemorySegment bytes(float[] values) {
        MemorySegment data = MemorySegment.ofArray(new byte[values.length * Float.BYTES]);
        MemorySegment.copy(values, 0, data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                values.length);
        return data;
    }

    private static float[] floats(JsonArray array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsFloat();
        }
        return values;
    }

    /** Within each head, GGUF row {@code 2r + j} is HF row {@code j * headDim / 2 + r}. */
    private static float[] permuted(float[] rows, int heads, int headDim, int cols) {
        float[] out = new float[rows.length];
        for (int row = 0; row < heads * headDim; row++) {
            int inHead = row % headDim;
            int hfRow = row - inHead + (inHead % 2) * (headDim / 2) + inHead / 2;
            System.arraycopy(rows, hfRow * cols, out, row * cols, cols);
        }
        return out;
    }

    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.qkv_proj", "attn_qkv"),
            Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("pre_feedforward_layernorm", "ffn_norm"),
            Map.entry("post_feedforward_layernorm", "post_ffw_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"),
            Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.gate_up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"),
            Map.entry("mlp.gate", "ffn_gate_inp"));

    /** llama.cpp's name of a Hugging Face tensor (gguf-py's {@code tensor_mapping.py}). */
    private static String ggufName(String hfName, String arch) {
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
        String[] parts = hfName.split("\\.", 4); // model, layers, N, rest
        String rest = parts[3];
        int dot = rest.lastIndexOf('.');
        String module = rest.substring(0, dot);
        String name = module.equals("post_attention_layernorm")
                ? (arch.startsWith("gemma") ? "post_attention_norm" : "ffn_norm")
                : LAYER_NAMES.get(module);
        if (name == null) {
            throw new IllegalArgumentException("no GGUF name for " + hfName);
        }
        return "blk." + parts[2] + "." + name + rest.substring(dot);
    }

    /**
     * A byte-level BPE tokenizer.json as llama.cpp's {@code gpt2} tokenizer metadata: tokens by
     * id, added special tokens as control (type 3), merges as "a b" strings, the GPT-2
     * pre-tokenizer, the ids and the chat template.
     */
    private static void putTokenizer(GgufFileWriter gguf, Path folder, JsonObject config) throws IOException {
        JsonObject tokenizer = json(folder.resolve("tokenizer.json"));
        JsonObject vocab = tokenizer.getAsJsonObject("model").getAsJsonObject("vocab");
        JsonArray added = tokenizer.getAsJsonArray("added_tokens");
        int size = 0; // the added tokens may be in the vocabulary too
        for (Map.Entry<String, JsonElement> entry : vocab.entrySet()) {
            size = Math.max(size, entry.getValue().getAsInt() + 1);
        }
        for (JsonElement element : added) {
            size = Math.max(size, element.getAsJsonObject().get("id").getAsInt() + 1);
        }
        String[] tokens = new String[size];
        Integer[] types = new Integer[size];
        for (Map.Entry<String, JsonElement> entry : vocab.entrySet()) {
            tokens[entry.getValue().getAsInt()] = entry.getKey();
            types[entry.getValue().getAsInt()] = 1; // normal
        }
        for (JsonElement element : added) {
            JsonObject token = element.getAsJsonObject();
            int id = token.get("id").getAsInt();
            tokens[id] = token.get("content").getAsString();
            types[id] = token.get("special").getAsBoolean() ? 3 : 4; // control, user-defined
        }
        List<String> merges = new ArrayList<>();
        for (JsonElement merge : tokenizer.getAsJsonObject("model").getAsJsonArray("merges")) {
            merges.add(merge.isJsonArray() ? merge.getAsJsonArray().get(0).getAsString() + " "
                    + merge.getAsJsonArray().get(1).getAsString() : merge.getAsString());
        }
        JsonObject tokenizerConfig = json(folder.resolve("tokenizer_config.json"));
        gguf.putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "gpt-2")
                .putArray("tokenizer.ggml.tokens", GgufFileWriter.ValueType.STRING, List.of(tokens))
                .putArray("tokenizer.ggml.token_type", GgufFileWriter.ValueType.INT32, List.of(types))
                .putArray("tokenizer.ggml.merges", GgufFileWriter.ValueType.STRING, merges)
                .putUint32("tokenizer.ggml.bos_token_id", config.get("bos_token_id").getAsInt())
                .putUint32("tokenizer.ggml.eos_token_id", config.get("eos_token_id").getAsInt())
                .putBool("tokenizer.ggml.add_bos_token", false)
                .putBool("tokenizer.ggml.add_eos_token", false);
        if (tokenizerConfig.has("chat_template")) {
            gguf.putString("tokenizer.chat_template", tokenizerConfig.get("chat_template").getAsString());
        }
    }

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }
}
