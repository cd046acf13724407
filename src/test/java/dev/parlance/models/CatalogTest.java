package dev.parlance.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CatalogTest {
    /** The headroom LanguageModel keeps beside the weights (512 MiB). */
    private static final long ENGINE_HEADROOM = 512L << 20;
    /**
     * Families an entry may wait for: mixture-of-experts Qwen3, and Phi-3 whose long-context RoPE
     * (Phi-4-mini's) the engine refuses.
     */
    private final Catalog catalog = Catalog.builtIn();

    @Test
    void listsTheModelsTheIssueAsksFor() {
        assertThat(catalog.models()).extracting(CatalogModel::id).contains(
                "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "gemma-3-1b", "gemma-3-4b",
                "llama-3.2-1b-instruct", "llama-3.2-3b-instruct", "phi-4-mini", "smollm2-360m-instruct",
                "smollm2-1.7b-instruct", "mistral-7b-instruct-v0.3", "deepseek-r1-distill-qwen-1.5b",
                "deepseek-r1-distill-qwen-7b", "qwen3-30b-a3b", "gpt2");
    }

    @Test
    void everyVariantNeedsMemoryForItsFilesAndAKvCacheOfTheCatalogsContext() {
        for (CatalogModel model : catalog.models()) {
            long kv = model.kvBytesPerToken() * Math.min(catalog.memoryContext(), model.contextLength());
            for (Variant variant : model.variants()) {
                assertThat(variant.memory()).as(model.id() + ":" + variant.name())
                        .isGreaterThanOrEqualTo(variant.size() + kv + ENGINE_HEADROOM)
                        .isLessThan(variant.size() + kv + ENGINE_HEADROOM + 100_000_000);
            }
        }
    }

    @Test
    void weightFilesAreAboutAsLargeAsTheParametersInTheirFormat() {
        for (CatalogModel model : catalog.models()) {
            for (Variant variant : model.variants()) {
                double bitsPerParameter = variant.size() * 8.0 / model.parameters();
                double[] range = switch (variant.name().toUpperCase(Locale.ROOT)) {
                    case "Q4_K_M" -> new double[] {4.3, 6.5};
                    case "Q8_0" -> new double[] {7.5, 9.5};
                    case "BF16" -> new double[] {15.5, 16.5};
                    case "F32" -> new double[] {31.5, 36};
                    default -> throw new AssertionError("unexpected variant " + variant.name());
                };
                assertThat(bitsPerParameter).as(model.id() + ":" + variant.name()).isBetween(range[0], range[1]);
            }
        }
    }

    @Test
    void aGgufVariantIsTheFileOfItsQuantization() {
        for (CatalogModel model : catalog.models()) {
            for (Variant variant : model.variants()) {
                if (variant.format() == ModelFormat.GGUF) {
                    assertThat(variant.files().getFirst().path().toLowerCase(Locale.ROOT))
                            .as(model.id()).endsWith("-" + variant.name().toLowerCase(Locale.ROOT) + ".gguf");
                }
            }
        }
    }

    @Test
    void aSafetensorsVariantHasWhatTheEngineReads() {
        for (CatalogModel model : catalog.models()) {
            for (Variant variant : model.variants()) {
                if (variant.format() == ModelFormat.SAFETENSORS) {
                    var paths = variant.files().stream().map(ModelFile::path).toList();
                    assertThat(paths).as(model.id()).contains("config.json", "tokenizer.json", "tokenizer_config.json");
                    assertThat(paths).as(model.id()).anyMatch(p -> p.endsWith(".safetensors"));
                }
            }
        }
    }

    @Test
    void everyModelRunsOnTheEngine() {
        for (CatalogModel model : catalog.models()) {
            assertThat(model.needs()).as(model.id() + " waits for " + model.needs().orElse("")).isEmpty();
            for (Variant variant : model.variants()) {
                assertThat(model.engineHasArchitecture(variant)).as(model.id() + ":" + variant.name() + " is not run by the engine")
                        .isTrue();
            }
        }
    }

    @Test
    void gatedModelsAreTheOnesWhoseRepositoryAsksForALicence() {
        assertThat(catalog.models()).filteredOn(CatalogModel::gated).extracting(CatalogModel::repo)
                .containsExactlyInAnyOrder("meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct");
    }

    @Test
    void searchMatchesNamesLanguagesAndTasks() {
        assertThat(catalog.search("qwen3")).extracting(CatalogModel::id)
                .containsExactly("qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-30b-a3b");
        assertThat(catalog.search("hi")).extracting(CatalogModel::id)
                .contains("llama-3.2-1b-instruct").doesNotContain("gpt2");
        assertThat(catalog.search("completion")).extracting(CatalogModel::id).containsExactly("gpt2");
        assertThat(catalog.find("QWEN3-4B")).isPresent();
        assertThat(catalog.find("qwen3-4b").orElseThrow().variant("q4_k_m")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"format\": 2, \"memory_context\": 4096, \"models\": []}",
        "{\"format\": 1, \"models\": []}",
        "[1, 2]",
    })
    void aCatalogOfAnotherFormatIsRefused(String json) {
        assertThatThrownBy(() -> Catalog.parse(new StringReader(json))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aVariantNeedingLessMemoryThanItsFilesIsRefusedNamingIt() {
        String json = """
                {"format": 1, "memory_context": 4096, "models": [{"id": "m", "name": "M", "repo": "o/m",
                 "revision": "main", "license": "mit", "parameters": 10, "context_length": 64, "languages": ["en"],
                 "tasks": ["chat"], "architecture": "llama", "hf_architecture": "LlamaForCausalLM", "layers": 1,
                 "kv_heads": 1, "head_dim": 8, "variants": [{"name": "Q8_0", "format": "gguf", "memory": 10,
                 "files": [{"path": "m-Q8_0.gguf", "size": 100}]}]}]}
                """;
        assertThatThrownBy(() -> Catalog.parse(new StringReader(json)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_0: memory 10");
    }
}
