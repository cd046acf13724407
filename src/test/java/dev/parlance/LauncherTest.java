package dev.parlance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Started as {@code java -jar} starts it, without the Vector API's module on the command line. */
class LauncherTest {
    @Test
    void startedWithoutTheVectorApiModuleStillComputesOnIt() throws Exception {
        Process process = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"),
                        Launcher.class.getName(), "--version"))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor()).as(output).isZero();
        assertThat(output).contains("compute: Java Vector API").doesNotContain("PyTorch (")
                .contains("Java heap: up to 1024 MiB"); // the launchers' cap, which the restart adds
    }

    @Test
    void theVersionIsTheBuildsAndNamesTheComputePathAndCpu() {
        assertThat(RuntimeInfo.version()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(RuntimeInfo.describe()).hasSize(6);
        assertThat(RuntimeInfo.describe().get(2)).isEqualTo("compute: " + RuntimeInfo.computePath());
        assertThat(RuntimeInfo.cpu()).contains(Runtime.getRuntime().availableProcessors() + " cores");
    }
}
