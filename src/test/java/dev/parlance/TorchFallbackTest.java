package dev.parlance;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Started without the {@code jdk.incubator.vector} module (a plain {@code java -jar}), the engine
 * decodes on PyTorch, and to the same tokens as the Vector API kernels.
 */
class TorchFallbackTest {
    @TempDir
    Path dir;

    @Test
    void withoutTheVectorModuleDecodingFallsBackToPyTorchWithTheSameTokens() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("model"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 5);
        JsonObject withModule = generate(model, true);
        JsonObject without = generate(model, false);
        assertThat(withModule.get("decode_kernel").getAsString()).isEqualTo("vector");
        assertThat(without.get("decode_kernel").getAsString()).isEqualTo("torch");
        assertThat(without.getAsJsonArray("ids")).hasSize(40).isEqualTo(withModule.getAsJsonArray("ids"));
    }

    private JsonObject generate(Path model, boolean vectorModule) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (vectorModule) {
            command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "-DDJL_CACHE_DIR=" + dir.resolve("djl"),
                Launcher.class.getName(), "generate", "--model", model.toString(), "--prompt-ids", "1,72,101,108,108,111",
                "--max-tokens", "40", "--temperature", "0", "--json"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        if (!vectorModule) {
            builder.environment().put(Launcher.RESTARTED, "1"); // as a runtime without the module: no restart with it
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return JsonParser.parseString(output).getAsJsonObject();
    }
}
