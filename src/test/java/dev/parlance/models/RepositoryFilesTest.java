package dev.parlance.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RepositoryFilesTest {
    private static final List<String> GGUF_REPO = List.of(".gitattributes", "README.md", "mmproj-m-F16.gguf",
            "m-IQ4_K_M.gguf", "m-Q4_K_M.gguf", "m-Q8_0.gguf", "split/m-Q6_K-00001-of-00002.gguf",
            "split/m-Q6_K-00002-of-00002.gguf");

    @Test
    void theDefaultIsQ4KMNotASimilarlyNamedQuantizationNorAProjector() throws DownloadException {
        DownloadPlan plan = RepositoryFiles.plan("o/m-GGUF", "main", GGUF_REPO, null);
        assertThat(plan.name()).isEqualTo("m-Q4_K_M.gguf");
        assertThat(plan.files()).extracting(DownloadPlan.RemoteFile::path).containsExactly("m-Q4_K_M.gguf");
    }

    @Test
    void aQuantizationIsChosenIgnoringCase() throws DownloadException {
        assertThat(RepositoryFiles.plan("o/m-GGUF", "v2", GGUF_REPO, "q8_0").files())
                .singleElement().satisfies(f -> {
                    assertThat(f.path()).isEqualTo("m-Q8_0.gguf");
                    assertThat(f.revision()).isEqualTo("v2");
                });
    }

    @Test
    void splitFilesAndMissingQuantizationsAreRefusedListingTheFiles() {
        assertThatThrownBy(() -> RepositoryFiles.plan("o/m-GGUF", "main", GGUF_REPO, "Q6_K"))
                .isInstanceOf(DownloadException.class).hasMessageContaining("has no GGUF file of \"Q6_K\"")
                .hasMessageContaining("m-Q8_0.gguf");
    }

    @Test
    void aSafetensorsRepositoryGivesTheFilesTheEngineReads() throws DownloadException {
        DownloadPlan plan = RepositoryFiles.plan("o/m", "main", List.of("README.md", "config.json", "generation_config.json",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json",
                "onnx/model.onnx", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json", "vocab.json",
                "original/consolidated.safetensors"), null);
        assertThat(plan.name()).isEqualTo("m");
        assertThat(plan.format()).isEqualTo(ModelFormat.SAFETENSORS);
        assertThat(plan.files()).extracting(DownloadPlan.RemoteFile::path).containsExactly("config.json",
                "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json");
    }

    @Test
    void aRepositoryWithoutRunnableWeightsIsRefused() {
        assertThatThrownBy(() -> RepositoryFiles.plan("o/m", "main", List.of("config.json", "pytorch_model.bin"), null))
                .isInstanceOf(DownloadException.class)
                .satisfies(e -> assertThat(((DownloadException) e).reason()).isEqualTo(DownloadException.Reason.UNSUPPORTED));
    }
}
