"""Makes the expected blocks for QuantizerTest; see README.md. Run: python make_quantized.py HARNESS

HARNESS is reference_quantize.c built against ggml's ggml-quants.c. Writes, float32 and blocks
little-endian:
  input.f32                16 x 512 rows (zeros, constants, huge, tiny, negative-only, ties, ...)
  Q8_0/Q4_0/Q4_K.blocks    the harness's output for input.f32 (Q8_0, Q4_0 checked against gguf-py)
  F16/BF16.blocks          input.f32 rounded by numpy (float16) and torch (bfloat16)
  special.f32              64 values for the conversions: zeros, infinities, NaN, ties, overflow, subnormals
  special.F16/BF16.blocks  the same, converted
  digests.txt              per type, the SHA-256 of the blocks of 256 x 4096 generated rows (stress_rows; the
                           test generates the same rows, whose values are exact in float32)
"""
import hashlib
import subprocess
import sys

import numpy as np
import torch
from gguf import GGMLQuantizationType, quants

ROWS, COLS = 16, 512
rng = np.random.default_rng(20260513)


def rows():
    r = np.zeros((ROWS, COLS), dtype=np.float32)
    r[0] = 0                                                        # all zeros
    r[1] = 0.37                                                     # constant positive
    r[2] = -2.5                                                     # constant negative
    r[3] = rng.standard_normal(COLS)
    r[4] = torch.tensor(rng.standard_normal(COLS) * 0.02).to(torch.bfloat16).float().numpy()  # a BF16 checkpoint's
    r[5] = rng.standard_normal(COLS) * 2e4                          # huge
    r[6] = rng.standard_normal(COLS) * 1e-6                         # tiny: fp16 scales underflow
    r[7] = rng.uniform(-3, -0.1, COLS)                              # negative only
    r[8] = rng.uniform(0.1, 3, COLS)                                # positive only
    r[9] = rng.standard_normal(COLS) * 0.01                         # one spike per 32 values
    r[9, rng.integers(0, 32) + np.arange(0, COLS, 32)] = 5.0
    q8_ties = rng.integers(-127, 127, COLS) + 0.5                   # Q8_0: d = 1, every x / d a half
    q8_ties[::32] = 127
    r[10] = q8_ties
    q4_ties = rng.integers(-8, 8, COLS) + 0.5                       # Q4_0: d = 1, halves, and +8 (clipped)
    q4_ties[::32] = -8
    q4_ties[5::32] = 8
    r[11] = q4_ties
    sparse = rng.standard_normal(COLS)                              # mostly zero
    sparse[rng.uniform(size=COLS) < 0.9] = 0
    r[12] = sparse
    r[13] = rng.standard_normal(COLS)                               # zero blocks and zero sub-blocks
    r[13, :256] = 0
    r[13, 256 + 64:256 + 128] = 0
    r[14] = rng.laplace(0, 1, COLS)                                 # heavy tails
    r[15] = rng.standard_normal(COLS) * np.repeat(10.0 ** rng.uniform(-4, 2, COLS // 32), 32)  # sub-block scales 1e-4 .. 1e2
    return r


def special():
    s = rng.standard_normal(64).astype(np.float32)
    values = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -70000.0, 1e-8, 5.960464477539063e-08,
              2.9802322387695312e-08, 8.940696716308594e-08, 6.103515625e-05, np.inf, -np.inf, np.nan,
              1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, -(1 + 3 * 2.0 ** -8),
              3.4028234663852886e38, 3.3961776e38, 1e-40, 1.401298464324817e-45, -1e-45]
    s[:len(values)] = np.array(values, dtype=np.float32)
    return s


STRESS_ROWS, STRESS_COLS = 256, 4096
MASK = (1 << 64) - 1


def stress_rows():
    """Sums of four 16-bit draws of a 64-bit LCG (seeded per row), times a power of two that changes
    with the row and every 32 values (2^-17 .. 2^-28); every 32nd row zero, every 32nd but one zero
    in its first 128 values."""
    x = np.zeros((STRESS_ROWS, STRESS_COLS), dtype=np.float32)
    for r in range(STRESS_ROWS):
        state = (r * 0x9E3779B97F4A7C15 + 1) & MASK
        for c in range(STRESS_COLS):
            n = 0
            for _ in range(4):
                state = (state * 6364136223846793005 + 1442695040888963407) & MASK
                n += state >> 48
            x[r, c] = (n - 131070) * 2.0 ** (-17 - r % 4 - (c // 32) * 7 % 9)
        if r % 32 == 31:
            x[r] = 0
        if r % 32 == 30:
            x[r, :128] = 0
    return x


def harness(exe, kind, x):
    return subprocess.run([exe, kind, str(x.shape[1])], input=x.tobytes(), capture_output=True, check=True).stdout


def main(exe):
    x = rows()
    x.tofile("input.f32")
    for name, kind, gtype in (("Q8_0", "q8_0", GGMLQuantizationType.Q8_0), ("Q4_0", "q4_0", GGMLQuantizationType.Q4_0),
                              ("Q4_K", "q4_K", None)):
        blocks = harness(exe, kind, x)
        if gtype is not None:
            assert quants.quantize(x, gtype).tobytes() == blocks, name + ": gguf-py and ggml disagree"
        open(name + ".blocks", "wb").write(blocks)
    s = special()
    s.tofile("special.f32")
    for values, prefix in ((x, ""), (s, "special.")):
        with np.errstate(over="ignore"):
            values.astype(np.float16).tofile(prefix + "F16.blocks")
        torch.from_numpy(values).to(torch.bfloat16).view(torch.int16).numpy().tofile(prefix + "BF16.blocks")
    stress = stress_rows()
    blocks = {"Q8_0": harness(exe, "q8_0", stress), "Q4_0": harness(exe, "q4_0", stress),
              "Q4_K": harness(exe, "q4_K", stress), "F16": stress.astype(np.float16).tobytes(),
              "BF16": torch.from_numpy(stress).to(torch.bfloat16).view(torch.int16).numpy().tobytes()}
    with open("digests.txt", "w") as out:
        for name, data in blocks.items():
            out.write(f"{name} {hashlib.sha256(data).hexdigest()}\n")


if __name__ == "__main__":
    main(sys.argv[1])
