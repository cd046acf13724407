package dev.parlance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private by construction: starting the engine, loading a model and generating touch no network. */
class NoNetworkTest {
    @TempDir
    Path dir;

    @Test
    void theEngineNeverResolvesAHostNorOpensAConnection() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("model"), SyntheticModel.Shape.TINY, SafeTensors.DType.BF16, 1, 3);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var process = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "-DDJL_CACHE_DIR=" + dir.resolve("djl").toString().replace(File.separatorChar, '/'),
                NoNetworkProbe.class.getName(), model.toString()))
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("attempts=0 control=1");
    }
}
