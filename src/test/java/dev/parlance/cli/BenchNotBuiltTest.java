package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code parlance bench} in a build without the benchmarks (the default jar): it says how to get them. */
class BenchNotBuiltTest {
    @Test
    void benchInABuildWithoutItFailsAndNamesTheProfileThatBuildsIt() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new ParlanceCommand.BenchNotBuilt()).setErr(new PrintWriter(err, true)).execute();

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("no benchmarks").contains("-Pbench package");
    }

    @Test
    void theTestsBuildHasTheRealBench() {
        CliRun.Result result = CliRun.run("", "bench", "--help");

        assertThat(result.exit()).isZero();
        assertThat(result.out()).contains("--synthetic");
    }
}
