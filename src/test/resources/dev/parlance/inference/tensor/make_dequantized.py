"""Writes the expected dequantizations that WeightMatrixDequantizeTest compares with.

For every type, ROWS rows of COLS values: `<TYPE>.blocks` holds the rows' raw blocks as ggml stores
them, `<TYPE>.f32` the values gguf-py's `gguf.quants.dequantize` makes of them (float32,
little-endian), and `cases.txt` one line per type: type, rows, cols.

Types that gguf-py quantizes get two rows quantized from random values (the second with wide
ranges, zeros and constant blocks) and one row of random bytes with a sane fp16 `d` of either sign;
the K-quants, which gguf-py only dequantizes, get random bytes: one row with random scales, one
with every 6-bit scale and min at 63, every high bit set and a negative `d`, one with `d` and
`dmin` of either sign. Run: `pip install gguf numpy; python make_dequantized.py` in this folder.
"""
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

ROWS, COLS = 3, 512
rng = np.random.default_rng(13)

# offsets of the fp16 fields of each block type
HALVES = {T.Q8_0: [0], T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2],
          T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
BLOCK = {T.Q8_0: (32, 34), T.Q4_0: (32, 18), T.Q4_1: (32, 20), T.Q5_0: (32, 22), T.Q5_1: (32, 24),
         T.Q4_K: (256, 144), T.Q5_K: (256, 176), T.Q6_K: (256, 210)}


def sane_halves(n, signed=True):
    """fp16 values of magnitude 1e-4 .. 10, of random sign."""
    v = np.exp(rng.uniform(np.log(1e-4), np.log(10), n))
    if signed:
        v *= rng.choice([-1, 1], n)
    return v.astype(np.float16).view(np.uint8).reshape(n, 2)


def random_blocks(qtype, blocks, signed=True):
    _, nbytes = BLOCK[qtype]
    raw = rng.integers(0, 256, (blocks, nbytes), dtype=np.uint8)
    for at in HALVES[qtype]:
        raw[:, at:at + 2] = sane_halves(blocks, signed)
    return raw


def wide_row():
    """Values over the whole fp16 range, with zero, constant and tiny blocks."""
    row = rng.normal(0, 1, COLS).astype(np.float32) * np.exp(rng.uniform(-8, 8, COLS)).astype(np.float32)
    row[0:32] = 0
    row[32:64] = -3.5
    row[64:96] *= 1e-6
    row[96:128] = np.clip(row[96:128] * 1e4, -60000, 60000)
    return np.clip(row, -60000, 60000)


def rows_for(qtype):
    if qtype == T.F32:
        return [rng.normal(0, 1, COLS).astype(np.float32).view(np.uint8), wide_row().view(np.uint8),
                np.array([0.0, -0.0, 1e-40, -3e38] * (COLS // 4), np.float32).view(np.uint8)]
    if qtype == T.F16:
        special = np.array([0.0, -0.0, 6e-8, -6e-8, 65504, -65504, 1e-5, 0.5] * (COLS // 8), np.float16)
        return [quants.quantize(rng.normal(0, 1, COLS).astype(np.float32), qtype).view(np.uint8),
                quants.quantize(wide_row(), qtype).view(np.uint8), special.view(np.uint8)]
    if qtype == T.BF16:
        return [quants.quantize(rng.normal(0, 1, COLS).astype(np.float32), qtype).reshape(-1),
                quants.quantize(wide_row() * 1e20, qtype).reshape(-1),
                rng.integers(0, 256, 2 * COLS, dtype=np.uint8)]
    size, nbytes = BLOCK[qtype]
    blocks = COLS // size
    if qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
        extreme = random_blocks(qtype, blocks)
        if qtype == T.Q6_K:
            extreme[:, 128:192] = 0xFF                      # every high bit
            extreme[:, 192:208] = np.array([127, -128] * 8, np.int8).view(np.uint8)
            extreme[:, 208:210] = np.full(blocks, -2.5, np.float16).view(np.uint8).reshape(blocks, 2)
        else:
            extreme[:, 4:16] = 0xFF                         # scales and mins all 63
            extreme[:, 0:2] = np.full(blocks, -2.5, np.float16).view(np.uint8).reshape(blocks, 2)
            if qtype == T.Q5_K:
                extreme[:, 16:48] = 0xFF                    # every fifth bit
        return [random_blocks(qtype, blocks, signed=False).reshape(-1), extreme.reshape(-1),
                random_blocks(qtype, blocks).reshape(-1)]
    return [quants.quantize(rng.normal(0, 1, COLS).astype(np.float32), qtype).reshape(-1),
            quants.quantize(wide_row(), qtype).reshape(-1),
            random_blocks(qtype, blocks).reshape(-1)]


TYPES = [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q4_K, T.Q5_K, T.Q6_K]
with open("cases.txt", "w") as cases:
    for qtype in TYPES:
        raw = np.concatenate([np.asarray(r, np.uint8).reshape(-1) for r in rows_for(qtype)])
        values = quants.dequantize(raw.reshape(ROWS, -1), qtype).astype("<f4", copy=False)
        assert values.shape == (ROWS, COLS), values.shape
        raw.tofile(f"{qtype.name}.blocks")
        values.tofile(f"{qtype.name}.f32")
        cases.write(f"{qtype.name} {ROWS} {COLS}\n")
