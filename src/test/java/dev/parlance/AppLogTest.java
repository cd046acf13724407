package dev.parlance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppLogTest {
    @TempDir
    Path data;

    @Test
    void theLogStartsWithWhatRunsAndKeepsParlancesRecordsInTheDataFolder() throws Exception {
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Handler handler = AppLog.install(data);
        try {
            Logger.getLogger("dev.parlance.service.Example").warning("cannot load /models/x.gguf: truncated");
            handler.flush();
            String log = Files.readString(AppLog.file(data));
            assertThat(log).contains("Parlance " + RuntimeInfo.version()).contains("compute: ")
                    .contains("WARNING dev.parlance.service.Example: cannot load /models/x.gguf: truncated");
            assertThat(Thread.getDefaultUncaughtExceptionHandler()).isNotSameAs(before);
        } finally {
            Logger.getLogger("dev.parlance").removeHandler(handler);
            handler.close();
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }
}
