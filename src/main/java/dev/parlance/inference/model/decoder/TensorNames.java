package dev.parlance.inference.model.decoder;

import java.util.List;

/**
 * A family's tensor names in one file format, without the {@code .weight} / {@code .bias}
 * suffix where a layer's tensor has both. Layer names are relative to {@code layer}, which takes
 * the layer's index.
 *
 * @param qkv q, k and v: three names, or one for a matrix that stacks them (Phi-3's qkv_proj)
 * @param gateUp gate and up: two names, or one for a matrix that stacks them (Phi-3's gate_up_proj)
 * @param attentionNorm the norm before attention
 * @param attentionOutputNorm the norm of attention's output, or null where there is none
 * @param mlpNorm the norm before the MLP
 * @param mlpOutputNorm the norm of the MLP's output, or null where there is none
 * @param queryNorm each query head's norm, or null where there is none
 * @param keyNorm each key head's norm, or null where there is none
 * @param experts the names of a mixture of experts' tensors, or null where there is none
 */
public record TensorNames(String embed, String output, String finalNorm, String layer, List<String> qkv, String o,
        List<String> gateUp, String down, String attentionNorm, String attentionOutputNorm, String mlpNorm,
        String mlpOutputNorm, String queryNorm, String keyNorm, ExpertNames experts) {

    /**
     * A mixture of experts' tensor names within a layer.
     *
     * @param router the router's matrix, {@code [experts, hidden]}
     * @param gate each expert's gate: with {@code %d} for the expert's index where each expert has
     *     its own tensor (Hugging Face), or one tensor stacking all experts (GGUF's {@code ffn_gate_exps})
     */
    public record ExpertNames(String router, String gate, String up, String down) {
        /** Whether one tensor holds every expert, {@code [experts, rows, cols]}. */
        public boolean stacked() {
            return !gate.contains("%d");
        }
    }

    /** These names with those of a mixture of experts. */
    public TensorNames withExperts(ExpertNames names) {
        return new TensorNames(embed, output, finalNorm, layer, qkv, o, gateUp, down, attentionNorm,
                attentionOutputNorm, mlpNorm, mlpOutputNorm, queryNorm, keyNorm, names);
    }

    public TensorNames {
        qkv = List.copyOf(qkv);
        gateUp = List.copyOf(gateUp);
        if (qkv.size() != 1 && qkv.size() != 3 || gateUp.size() != 1 && gateUp.size() != 2) {
            throw new IllegalArgumentException("q, k and v are one or three matrices, gate and up one or two");
        }
    }

    /** Llama's names in a Hugging Face folder; other families change a few of them. */
    public static final TensorNames HUGGING_FACE_LLAMA = new TensorNames("model.embed_tokens.weight",
            "lm_head.weight", "model.norm.weight", "model.layers.%d.",
            List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"), "self_attn.o_proj",
            List.of("mlp.gate_proj", "mlp.up_proj"), "mlp.down_proj", "input_layernorm", null,
            "post_attention_layernorm", null, "self_attn.q_norm", "self_attn.k_norm", null);

    /** llama.cpp's names in a GGUF file, the same for every family but Phi-3's fused matrices. */
    public static final TensorNames GGUF = new TensorNames("token_embd.weight", "output.weight",
            "output_norm.weight", "blk.%d.", List.of("attn_q", "attn_k", "attn_v"), "attn_output",
            List.of("ffn_gate", "ffn_up"), "ffn_down", "attn_norm", "post_attention_norm", "ffn_norm",
            "post_ffw_norm", "attn_q_norm", "attn_k_norm", null);
}
