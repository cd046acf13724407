#!/usr/bin/env python3
"""Write a Qwen3-30B-A3B-shaped Q4_K_M GGUF (about 17 GB) with random valid blocks, for the "a
30B mixture of experts runs on a 24 GB machine" measurement: 48 layers of 128 experts, 8 used a
token. Tensors are written one at a time, so writing it needs little memory. The tokenizer
metadata comes from a small GGUF with BPE merges (e.g. a qwen2 fixture), padded to 151,936 *normal*
tokens (user-defined ones would each become an added token, which DJL's tokenizer library adds in
quadratic time).

    python3 make_moe_gguf.py TOKENIZER_SOURCE.gguf OUT.gguf

Q4_K_M as llama.cpp mixes it: Q4_K, with Q6_K for the output matrix and for attn_v and
ffn_down_exps in the first and last eighth of the layers and every third layer between; the
router (ffn_gate_inp) and the norms stay float32. Needs gguf and numpy.
"""
import sys
import numpy as np
import gguf
from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType as T, GGUFValueType as V

H, LAYERS, HEADS, KV, HEAD_DIM, VOCAB, CTX = 2048, 48, 32, 4, 128, 151936, 40960
EXPERTS, USED, EXPERT_FF = 128, 8, 768
RNG = np.random.default_rng(1234)


def k_blocks(q, shape):
    """Random bytes for a tensor of logical shape `shape` in K-quant `q`, with a small scale d."""
    block, size = gguf.GGML_QUANT_SIZES[q]
    *outer, cols = shape
    rows = int(np.prod(outer))
    n = rows * cols // block
    raw = RNG.integers(0, 256, size=(n, size), dtype=np.uint8)
    d = np.full(n, 0.0005, dtype=np.float16).view(np.uint8).reshape(n, 2)
    if q == T.Q4_K:
        raw[:, 0:2] = d
        raw[:, 2:4] = d
    else:
        raw[:, size - 2:size] = d
    return raw.reshape(*outer, cols // block * size)


def more_bits(i):
    return i < LAYERS // 8 or i >= 7 * LAYERS // 8 or (i - LAYERS // 8) % 3 == 2


def tensors():
    """(name, type, logical shape) in file order; type None is float32."""
    yield "token_embd.weight", T.Q4_K, (VOCAB, H)
    for i in range(LAYERS):
        p = "blk.%d." % i
        big = T.Q6_K if more_bits(i) else T.Q4_K
        yield p + "attn_norm.weight", None, (H,)
        yield p + "attn_q.weight", T.Q4_K, (HEADS * HEAD_DIM, H)
        yield p + "attn_k.weight", T.Q4_K, (KV * HEAD_DIM, H)
        yield p + "attn_v.weight", big, (KV * HEAD_DIM, H)
        yield p + "attn_output.weight", T.Q4_K, (H, HEADS * HEAD_DIM)
        yield p + "attn_q_norm.weight", None, (HEAD_DIM,)
        yield p + "attn_k_norm.weight", None, (HEAD_DIM,)
        yield p + "ffn_norm.weight", None, (H,)
        yield p + "ffn_gate_inp.weight", None, (EXPERTS, H)
        yield p + "ffn_gate_exps.weight", T.Q4_K, (EXPERTS, EXPERT_FF, H)
        yield p + "ffn_up_exps.weight", T.Q4_K, (EXPERTS, EXPERT_FF, H)
        yield p + "ffn_down_exps.weight", big, (EXPERTS, H, EXPERT_FF)
    yield "output_norm.weight", None, (H,)
    yield "output.weight", T.Q6_K, (VOCAB, H)


def data(name, q, shape):
    if q is not None:
        return k_blocks(q, shape)
    if name.endswith("ffn_gate_inp.weight"):  # a router whose choices vary from token to token
        return (0.02 * RNG.standard_normal(shape)).astype(np.float32)
    return (1.0 + 0.1 * RNG.standard_normal(shape)).astype(np.float32)


def byte_shape(q, shape):
    if q is None:
        return shape, np.float32, 4 * int(np.prod(shape))
    block, size = gguf.GGML_QUANT_SIZES[q]
    *outer, cols = shape
    bshape = (*outer, cols // block * size)
    return bshape, np.uint8, int(np.prod(bshape))


def main():
    src, dst = sys.argv[1:3]
    r = GGUFReader(src)
    w = GGUFWriter(dst, "qwen3moe")
    tokens = list(r.fields["tokenizer.ggml.tokens"].contents())
    types = list(r.fields["tokenizer.ggml.token_type"].contents())
    tokens += ["<|extra_%d|>" % i for i in range(VOCAB - len(tokens))]
    types += [1] * (VOCAB - len(types))
    w.add_key_value("general.name", "synthetic-qwen3-30b-a3b-q4_k_m", V.STRING)
    w.add_key_value("general.file_type", 15, V.UINT32)
    w.add_key_value("general.quantization_version", 2, V.UINT32)
    for k, v in (("context_length", CTX), ("embedding_length", H), ("block_count", LAYERS),
                 ("feed_forward_length", 6144), ("attention.head_count", HEADS), ("attention.head_count_kv", KV),
                 ("attention.key_length", HEAD_DIM), ("attention.value_length", HEAD_DIM),
                 ("expert_count", EXPERTS), ("expert_used_count", USED), ("expert_feed_forward_length", EXPERT_FF)):
        w.add_key_value("qwen3moe." + k, v, V.UINT32)
    w.add_key_value("qwen3moe.rope.freq_base", 1000000.0, V.FLOAT32)
    w.add_key_value("qwen3moe.attention.layer_norm_rms_epsilon", 1e-6, V.FLOAT32)
    w.add_key_value("tokenizer.ggml.model", "gpt2", V.STRING)
    w.add_key_value("tokenizer.ggml.pre", "qwen2", V.STRING)
    w.add_key_value("tokenizer.ggml.tokens", tokens, V.ARRAY, V.STRING)
    w.add_key_value("tokenizer.ggml.token_type", types, V.ARRAY, V.INT32)
    w.add_key_value("tokenizer.ggml.merges", list(r.fields["tokenizer.ggml.merges"].contents()), V.ARRAY, V.STRING)
    w.add_key_value("tokenizer.ggml.eos_token_id", 2, V.UINT32)
    specs = list(tensors())
    for name, q, shape in specs:
        bshape, dtype, nbytes = byte_shape(q, shape)
        w.add_tensor_info(name, bshape, np.dtype(dtype), nbytes, raw_dtype=q)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for name, q, shape in specs:
        w.write_tensor_data(data(name, q, shape))
    w.close()


if __name__ == "__main__":
    main()
