package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance serve} refusing to start, each time saying why (serving itself: dev.parlance.server). */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void aNetworkAddressWithoutAKeyIsRefusedBeforeTheModelLoads() {
        var result = CliRun.run("", "serve", "--model", dir.resolve("absent").toString(), "--host", "0.0.0.0");
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.err()).contains("refusing to serve on 0.0.0.0 without an API key")
                .doesNotContain("cannot load");
    }

    @Test
    void aModelThatDoesNotLoadEndsTheCommandWithItsReason() {
        var result = CliRun.run("", "serve", "--model", dir.resolve("absent").toString(), "--port", "0");
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(result.err()).contains("parlance: cannot load the model:");
    }

    @Test
    void aQueueOfNoRequestsIsRefused() {
        var result = CliRun.run("", "serve", "--model", dir.toString(), "--queue", "0");
        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.err()).contains("the queue must hold at least 1 request");
    }

    @Test
    void aPortInUseIsReportedWithTheAddress() throws Exception {
        Path model = SyntheticModel.write(dir.resolve("tiny"), SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 3);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var result = CliRun.run("", "serve", "--model", model.toString(), "--port", "" + taken.getLocalPort());
            assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
            assertThat(result.err()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }
}
