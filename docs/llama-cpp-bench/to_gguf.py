# Writes an F32 GGUF (llama architecture) holding the same weights as an F32 Llama safetensors folder,
# such as the one `parlance bench --synthetic smollm2-135m --keep-synthetic DIR` leaves, so that
# llama.cpp can run the same weights (usage: docs/benchmarks.md). Its vocabulary is placeholder
# strings: the benchmark feeds token ids, never text.
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
cfg = json.load(open(src + '/config.json'))
f = open(src + '/model.safetensors', 'rb')
n = struct.unpack('<Q', f.read(8))[0]
header = json.loads(f.read(n)); base = 8 + n
def s(x): b = x.encode(); return struct.pack('<Q', len(b)) + b
kv = []
def put(key, typ, payload): kv.append(s(key) + struct.pack('<I', typ) + payload)
U32, F32, STR, ARR, I32 = 4, 6, 8, 9, 5
put('general.architecture', STR, s('llama'))
put('general.name', STR, s('synthetic'))
put('general.alignment', U32, struct.pack('<I', 32))
put('llama.context_length', U32, struct.pack('<I', cfg['max_position_embeddings']))
put('llama.embedding_length', U32, struct.pack('<I', cfg['hidden_size']))
put('llama.block_count', U32, struct.pack('<I', cfg['num_hidden_layers']))
put('llama.feed_forward_length', U32, struct.pack('<I', cfg['intermediate_size']))
put('llama.attention.head_count', U32, struct.pack('<I', cfg['num_attention_heads']))
put('llama.attention.head_count_kv', U32, struct.pack('<I', cfg['num_key_value_heads']))
put('llama.rope.freq_base', F32, struct.pack('<f', cfg['rope_theta']))
put('llama.rope.dimension_count', U32, struct.pack('<I', cfg['hidden_size'] // cfg['num_attention_heads']))
put('llama.attention.layer_norm_rms_epsilon', F32, struct.pack('<f', cfg['rms_norm_eps']))
vocab = cfg['vocab_size']
tokens = ['<unk>', '<s>', '</s>'] + ['<0x%02X>' % i for i in range(256)]
tokens += ['tok%d' % i for i in range(len(tokens), vocab)]
types = [2, 3, 3] + [6] * 256 + [1] * (vocab - 259)
put('tokenizer.ggml.model', STR, s('llama'))
put('tokenizer.ggml.tokens', ARR, struct.pack('<IQ', STR, vocab) + b''.join(s(t) for t in tokens))
put('tokenizer.ggml.scores', ARR, struct.pack('<IQ', F32, vocab) + b''.join(struct.pack('<f', -float(i)) for i in range(vocab)))
put('tokenizer.ggml.token_type', ARR, struct.pack('<IQ', I32, vocab) + b''.join(struct.pack('<i', t) for t in types))
put('tokenizer.ggml.bos_token_id', U32, struct.pack('<I', 1))
put('tokenizer.ggml.eos_token_id', U32, struct.pack('<I', 2))
names = {'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight'}
parts = {'input_layernorm.weight': 'attn_norm.weight', 'self_attn.q_proj.weight': 'attn_q.weight',
         'self_attn.k_proj.weight': 'attn_k.weight', 'self_attn.v_proj.weight': 'attn_v.weight',
         'self_attn.o_proj.weight': 'attn_output.weight', 'post_attention_layernorm.weight': 'ffn_norm.weight',
         'mlp.gate_proj.weight': 'ffn_gate.weight', 'mlp.up_proj.weight': 'ffn_up.weight', 'mlp.down_proj.weight': 'ffn_down.weight'}
tensors = []
for k, v in header.items():
    if k == '__metadata__': continue
    assert v['dtype'] == 'F32'
    if k in names: g = names[k]
    else:
        _, _, i, rest = k.split('.', 3)
        g = 'blk.%s.%s' % (i, parts[rest])
    tensors.append((g, v['shape'], v['data_offsets']))
infos = b''; offset = 0; layout = []
for g, shape, (a, b) in tensors:
    dims = list(reversed(shape))
    infos += s(g) + struct.pack('<I', len(dims)) + b''.join(struct.pack('<Q', d) for d in dims) + struct.pack('<IQ', 0, offset)
    layout.append((offset, a, b)); offset += (b - a + 31) // 32 * 32
head = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv)) + b''.join(kv) + infos
head += b'\0' * ((-len(head)) % 32)
with open(dst, 'wb') as out:
    out.write(head)
    for off, a, b in layout:
        out.seek(len(head) + off); f.seek(base + a)
        left = b - a
        while left:
            chunk = f.read(min(left, 1 << 24)); out.write(chunk); left -= len(chunk)
    out.truncate(len(head) + offset)
print('wrote', dst, len(tensors), 'tensors')
