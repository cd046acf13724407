package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** View models must stay testable without the FX toolkit: they may use javafx.beans and collections only. */
class ViewModelImportsTest {
    private static final Path UI_SOURCES = Path.of("src/main/java/dev/parlance/ui");

    private static List<Path> viewModelSources() throws IOException {
        try (Stream<Path> files = Files.walk(UI_SOURCES)) {
            return files.filter(p -> p.getFileName().toString().endsWith("ViewModel.java"))
                    .collect(Collectors.toList());
        }
    }

    @Test
    void thereAreViewModelsToCheck() throws IOException {
        assertThat(viewModelSources()).hasSizeGreaterThanOrEqualTo(6);
    }

    @Test
    void viewModelsNeverImportScenesControlsOrThePlatform() throws IOException {
        for (Path source : viewModelSources()) {
            assertThat(Files.readAllLines(source))
                    .as(source.toString())
                    .noneMatch(line -> line.startsWith("import javafx.scene")
                            || line.startsWith("import javafx.application")
                            || line.startsWith("import javafx.stage")
                            || line.startsWith("import javafx.fxml"));
        }
    }
}
