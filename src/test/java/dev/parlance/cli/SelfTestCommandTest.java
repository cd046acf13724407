package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfTestCommandTest {
    @Test
    void passesOnTheBuiltInModelsAndSaysWhatItChecked() {
        CliRun.Result result = CliRun.run("", "--self-test");

        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out())
                .contains("compute: Java Vector API")
                .contains("ok      built-in model folder: LlamaForCausalLM")
                .contains("ok      built-in GGUF file")
                .contains("ok      PyTorch engine")
                .contains("ok      conversation store")
                .contains("self-test passed");
    }

    @Test
    void failsNamingTheModelThatDoesNotLoad(@TempDir Path dir) throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.gguf"), "not a GGUF file");

        CliRun.Result result = CliRun.run("", "--self-test", "--model", broken.toString());

        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.out()).contains("FAILED  model " + broken);
        assertThat(result.err()).startsWith("self-test failed: model " + broken);
    }
}
