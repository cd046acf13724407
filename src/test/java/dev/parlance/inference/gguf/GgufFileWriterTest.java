package dev.parlance.inference.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.inference.gguf.GgufFileWriter.ValueType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GgufFileWriter} against the test-only {@link GgufWriter}, which lays the bytes out by hand
 * from ggml's {@code docs/gguf.md}: the same content must give the same bytes.
 */
class GgufFileWriterTest {
    @TempDir
    Path dir;

    private static byte[] bytes(int n, int seed) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 31 + seed);
        }
        return data;
    }

    @Test
    void writesTheBytesOfAHandLaidOutFileForEveryValueTypeAndSeveralTensorTypes() throws Exception {
        byte[] f32 = bytes(3 * 2 * 4, 1);
        byte[] q80 = bytes(2 * 34, 2);
        byte[] f16 = bytes(5 * 2 * 2, 3);
        byte[] q4k = bytes(144, 4);
        var expected = new GgufWriter()
                .put("u8", GgufWriter.u8(255)).put("i8", GgufWriter.i8(-128))
                .put("u16", GgufWriter.u16(65535)).put("i16", GgufWriter.i16(-32768))
                .put("u32", GgufWriter.u32(0xFFFF_FFFFL)).put("i32", GgufWriter.i32(-7))
                .put("f32", GgufWriter.f32(1.5f)).put("bool", GgufWriter.bool(true))
                .put("string", GgufWriter.str("héllo ✓"))
                .put("u64", GgufWriter.u64(-1)).put("i64", GgufWriter.i64(Long.MIN_VALUE))
                .put("f64", GgufWriter.f64(-2.25))
                .put("strings", GgufWriter.array(GgufWriter.STRING, "a", "", "ü"))
                .put("nested", GgufWriter.array(GgufWriter.ARRAY,
                        new GgufWriter.Array(GgufWriter.I32, List.<Object>of(1L, -2L)),
                        new GgufWriter.Array(GgufWriter.I32, List.<Object>of())))
                .tensor("matrix", GgmlType.F32, new long[] {3, 2}, f32)
                .tensor("quantized", GgmlType.Q8_0, new long[] {32, 2}, q80)
                .tensor("vector", GgmlType.F16, new long[] {5, 1, 2}, f16)
                .tensor("kquant", GgmlType.Q4_K, new long[] {256}, q4k)
                .bytes();

        new GgufFileWriter()
                .put("u8", ValueType.UINT8, 255).put("i8", ValueType.INT8, (byte) -128)
                .put("u16", ValueType.UINT16, 65535).put("i16", ValueType.INT16, (short) -32768)
                .putUint32("u32", 0xFFFF_FFFFL).put("i32", ValueType.INT32, -7)
                .putFloat32("f32", 1.5f).putBool("bool", true)
                .putString("string", "héllo ✓")
                .put("u64", ValueType.UINT64, -1L).put("i64", ValueType.INT64, Long.MIN_VALUE)
                .put("f64", ValueType.FLOAT64, -2.25)
                .putArray("strings", ValueType.STRING, List.of("a", "", "ü"))
                .putArray("nested", ValueType.ARRAY, List.of(
                        new GgufFileWriter.Array(ValueType.INT32, List.of(1, -2)),
                        new GgufFileWriter.Array(ValueType.INT32, List.of())))
                .tensor("matrix", GgmlType.F32, new long[] {3, 2}, MemorySegment.ofArray(f32))
                .tensor("quantized", GgmlType.Q8_0, new long[] {32, 2},
                        (row, out) -> out.copyFrom(MemorySegment.ofArray(q80).asSlice(row * 34, 34)))
                .tensor("vector", GgmlType.F16, new long[] {5, 1, 2}, MemorySegment.ofArray(f16))
                .tensor("kquant", GgmlType.Q4_K, new long[] {256}, MemorySegment.ofArray(q4k))
                .write(dir.resolve("out.gguf"));

        // the hand-laid file stops after the last tensor's bytes; ggml and gguf-py pad that one too
        assertThat(Files.readAllBytes(dir.resolve("out.gguf"))).isEqualTo(Arrays.copyOf(expected, (expected.length + 31) / 32 * 32));
    }

    @Test
    void aFileWithoutTensorsEndsAfterItsMetadata() throws Exception {
        byte[] expected = new GgufWriter().put("general.architecture", GgufWriter.str("llama")).bytes();
        new GgufFileWriter().putString("general.architecture", "llama").write(dir.resolve("empty.gguf"));
        assertThat(Files.readAllBytes(dir.resolve("empty.gguf"))).isEqualTo(expected);
    }

    @Test
    void tensorsLargerThanTheWriteBufferComeOutRowByRowInOrder() throws Exception {
        int rows = 5000;
        int cols = 256;  // 1 KiB rows of F32: 5 MB, several buffers' worth
        new GgufFileWriter()
                .tensor("big", GgmlType.F32, new long[] {cols, rows}, (row, out) -> {
                    for (int i = 0; i < cols; i++) {
                        out.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, row * cols + i);
                    }
                })
                .tensor("after", GgmlType.I8, new long[] {3}, MemorySegment.ofArray(new byte[] {7, 8, 9}))
                .write(dir.resolve("big.gguf"));
        try (GgufFile file = GgufFile.open(dir.resolve("big.gguf"))) {
            MemorySegment big = file.data(file.tensor("big"));
            for (long i = 0; i < (long) rows * cols; i += 997) {
                assertThat(big.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)).isEqualTo((float) i);
            }
            assertThat(file.data(file.tensor("after")).toArray(ValueLayout.JAVA_BYTE))
                    .containsExactly(7, 8, 9);
        }
    }

    @Test
    void refusesValuesOutsideTheirTypeNamingTheKey() {
        var writer = new GgufFileWriter();
        assertThatThrownBy(() -> writer.put("small", ValueType.UINT8, 256)).hasMessageContaining("small");
        assertThatThrownBy(() -> writer.putUint32("negative", -1)).hasMessageContaining("negative");
        assertThatThrownBy(() -> writer.put("wide", ValueType.FLOAT32, 1.0)).hasMessageContaining("wide");
        assertThatThrownBy(() -> writer.putArray("mixed", ValueType.INT32, List.of(1, "two")))
                .hasMessageContaining("mixed[1]");
    }

    @Test
    void refusesDuplicatesAndAnotherAlignment() {
        var writer = new GgufFileWriter().putString("key", "a").tensor("t", GgmlType.F32, new long[] {1},
                MemorySegment.ofArray(new byte[4]));
        assertThatThrownBy(() -> writer.putString("key", "b")).hasMessageContaining("duplicate metadata key key");
        assertThatThrownBy(() -> writer.tensor("t", GgmlType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4])))
                .hasMessageContaining("duplicate tensor name t");
        assertThatThrownBy(() -> writer.putUint32("general.alignment", 64)).hasMessageContaining("32");
    }

    @Test
    void refusesRowsThatAreNotWholeBlocksAndDataOfTheWrongSize() {
        var writer = new GgufFileWriter();
        assertThatThrownBy(() -> writer.tensor("odd", GgmlType.Q4_0, new long[] {48, 2}, (row, out) -> { }))
                .hasMessageContaining("odd").hasMessageContaining("Q4_0");
        assertThatThrownBy(() -> writer.tensor("short", GgmlType.F32, new long[] {4}, MemorySegment.ofArray(new byte[8])))
                .hasMessageContaining("short").hasMessageContaining("16 bytes");
    }

    @Test
    void aFailingRowLeavesNoFile() {
        Path file = dir.resolve("failed.gguf");
        var writer = new GgufFileWriter().tensor("t", GgmlType.F32, new long[] {4, 2}, (row, out) -> {
            throw new IllegalStateException("no row " + row);
        });
        assertThatThrownBy(() -> writer.write(file)).hasMessageContaining("no row 0");
        assertThat(file).doesNotExist();
    }
}
