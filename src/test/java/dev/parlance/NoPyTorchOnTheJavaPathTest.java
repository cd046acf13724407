package dev.parlance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A model on the Vector API never loads PyTorch's native library (libtorch: hundreds of MB of
 * memory and a slower start): generating from a GGUF file or a model folder, the JVM's log of the
 * native libraries it loads names the tokenizer's and no libtorch.
 */
class NoPyTorchOnTheJavaPathTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gguf", "folder"})
    void generatingLoadsNoLibtorch(String format) throws Exception {
        Path model = format.equals("gguf")
                ? SyntheticModel.writeGguf(dir.resolve("tiny.gguf"), SyntheticModel.Shape.TINY, GgmlType.Q8_0, 3)
                : SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-modules", "jdk.incubator.vector", "-Xlog:library=info",
                        "-cp", System.getProperty("java.class.path"), "-DDJL_CACHE_DIR=" + dir.resolve("djl"),
                        Launcher.class.getName(), "generate", "--model", model.toString(),
                        "--prompt-ids", "1,72,101", "--max-tokens", "4", "--temperature", "0"))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("libtokenizers").doesNotContain("libtorch");
    }
}
