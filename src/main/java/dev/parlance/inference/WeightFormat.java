package dev.parlance.inference;

import dev.parlance.inference.gguf.GgmlType;

/**
 * How a Hugging Face folder's float weights are held in memory: as stored (F32, F16 or BF16,
 * memory-mapped), or quantized at load into one of ggml's formats. GGUF files are already stored
 * in the format their author chose and are always used as they are.
 */
public enum WeightFormat {
    /** The file's own F32, F16 or BF16, read from its memory-mapped pages. */
    STORED(null),
    /** 8.5 bits a weight: close to the float weights. */
    Q8_0(GgmlType.Q8_0),
    /** 4.5 bits a weight, the simplest 4-bit format. */
    Q4_0(GgmlType.Q4_0),
    /** 4.5 bits a weight in 256-value blocks with 6-bit scales: a Q4_K_M file's main type. */
    Q4_K(GgmlType.Q4_K);

    private final GgmlType type;

    WeightFormat(GgmlType type) {
        this.type = type;
    }

    /** The ggml type matrices are quantized to, or null for {@link #STORED}. */
    public GgmlType type() {
        return type;
    }
}
