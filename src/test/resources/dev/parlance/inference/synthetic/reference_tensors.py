# Expected tensor bytes of SyntheticModel.writeGguf(file, Shape.TINY, type, 7), computed independently
# of the Java code with gguf-py (gguf.quants: ggml's reference quantizers, BF16 rounding) and numpy
# (float16 rounding): the seeded values, the HF -> GGUF names, the llama Q/K row permutation
# (fixtures/README.md "Q/K permutation"), the storage rules (1-D tensors F32).
# Run: pip install gguf numpy && python3 reference_tensors.py > tiny-seed7-tensors.json
import hashlib, json
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import quantize

HIDDEN, INTER, LAYERS, HEADS, KV, VOCAB, SEED = 32, 64, 2, 4, 2, 288, 7   # Shape.TINY (tied)
HD = HIDDEN // HEADS
M = (1 << 64) - 1

def values(seed, shape, norm):
    n = int(np.prod(shape))
    with np.errstate(over='ignore'):
        z = np.uint64(seed) + np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    k = np.array([(int(v) - (1 << 64) if int(v) >= 1 << 63 else int(v)) % 33 - 16 for v in z], dtype=np.int64)
    v = (1 + k.astype(np.float32) / np.float32(128)) if norm else k.astype(np.float32) / np.float32(512)
    return v.astype(np.float32).reshape(shape)

specs = [('token_embd.weight', (VOCAB, HIDDEN))]
for i in range(LAYERS):
    b = 'blk.%d.' % i
    specs += [(b + 'attn_norm.weight', (HIDDEN,)), (b + 'attn_q.weight', (HEADS * HD, HIDDEN)),
              (b + 'attn_k.weight', (KV * HD, HIDDEN)), (b + 'attn_v.weight', (KV * HD, HIDDEN)),
              (b + 'attn_output.weight', (HIDDEN, HEADS * HD)), (b + 'ffn_norm.weight', (HIDDEN,)),
              (b + 'ffn_gate.weight', (INTER, HIDDEN)), (b + 'ffn_up.weight', (INTER, HIDDEN)),
              (b + 'ffn_down.weight', (HIDDEN, INTER))]
specs.append(('output_norm.weight', (HIDDEN,)))

def permute(w, n_head):
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, w.shape[1]).swapaxes(1, 2).reshape(w.shape)

result = {}
for name in ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0']:
    out = {}
    for t, (tensor, shape) in enumerate(specs):
        w = values(SEED * 1_000_003 + t, shape, tensor.endswith('norm.weight'))
        if tensor.endswith('attn_q.weight'):
            w = permute(w, HEADS)
        if tensor.endswith('attn_k.weight'):
            w = permute(w, KV)
        if w.ndim == 1 or name == 'F32':
            data, stored = w.tobytes(), 'F32'
        elif name == 'F16':
            data, stored = w.astype(np.float16).tobytes(), 'F16'
        else:
            data, stored = quantize(w, T[name]).tobytes(), name
        out[tensor] = {'type': stored, 'sha256': hashlib.sha256(data).hexdigest()}
    result[name] = out
print(json.dumps(result, indent=1))
