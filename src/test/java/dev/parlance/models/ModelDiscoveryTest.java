package dev.parlance.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.parlance.models.FoundModel.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding other programs' models in a fake home folder laid out as each program lays its folders out. */
class ModelDiscoveryTest {
    @TempDir
    Path home;

    @Test
    void theHuggingFaceCacheOffersTheMainSnapshotOfAFolderAndEveryGgufFile() throws IOException {
        Path qwen = home.resolve(".cache/huggingface/hub/models--Qwen--Qwen3-0.6B");
        write(qwen.resolve("refs/main"), "abc123");
        write(qwen.resolve("blobs/f00d"), "weights!");
        Path snapshot = qwen.resolve("snapshots/abc123");
        write(snapshot.resolve("config.json"), "{}");
        write(snapshot.resolve("tokenizer.json"), "{}");
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/f00d"));
        for (String file : List.of("config.json", "tokenizer.json", "model.safetensors")) {
            write(qwen.resolve("snapshots/old000").resolve(file), "{}");   // a complete snapshot, but not refs/main
        }
        Path gguf = home.resolve(".cache/huggingface/hub/models--bartowski--Tiny-GGUF/snapshots/c0ffee1234/Tiny-Q4_K_M.gguf");
        write(gguf, "GGUF....");
        write(home.resolve(".cache/huggingface/hub/datasets--someone--data/snapshots/1/x.gguf"), "GGUF");

        List<FoundModel> found = discover(Map.of());

        assertThat(found).containsExactly(   // by folder name: models--Qwen before models--bartowski
                new FoundModel("Qwen/Qwen3-0.6B", snapshot, ModelFormat.SAFETENSORS, Source.HUGGING_FACE_CACHE, 12),
                new FoundModel("bartowski/Tiny-GGUF@c0ffee1/Tiny-Q4_K_M.gguf", gguf, ModelFormat.GGUF,
                        Source.HUGGING_FACE_CACHE, 8));
    }

    @Test
    void hfHomeMovesTheCache() throws IOException {
        Path elsewhere = home.resolve("elsewhere");
        write(elsewhere.resolve("hub/models--o--m-GGUF/snapshots/1/m-Q8_0.gguf"), "GGUF");
        assertThat(discover(Map.of("HF_HOME", elsewhere.toString()))).extracting(FoundModel::name)
                .containsExactly("o/m-GGUF@1/m-Q8_0.gguf");
    }

    @Test
    void lmStudioJanAndGpt4AllGgufFilesAreFoundButNotVisionProjectors() throws IOException {
        Path lmStudio = home.resolve(".lmstudio/models/lmstudio-community/Phi-GGUF/Phi-Q4_K_M.gguf");
        write(lmStudio, "GGUF");
        write(home.resolve(".lmstudio/models/lmstudio-community/Phi-GGUF/mmproj-Phi-F16.gguf"), "GGUF");
        Path jan = home.resolve(".local/share/Jan/data/llamacpp/models/qwen3-1.7b/model.gguf");
        write(jan, "GGUF");
        Path gpt4all = home.resolve(".local/share/nomic.ai/GPT4All/Meta-Llama-3-8B-Instruct.Q4_0.gguf");
        write(gpt4all, "GGUF");

        assertThat(discover(Map.of())).extracting(FoundModel::source, FoundModel::path).containsExactly(
                tuple(Source.LM_STUDIO, lmStudio),
                tuple(Source.JAN, jan),
                tuple(Source.GPT4ALL, gpt4all));
    }

    @Test
    void ollamaModelsAreTheirManifestsModelBlobNamedAsOllamaNamesThem() throws IOException {
        Path models = home.resolve(".ollama/models");
        write(models.resolve("manifests/registry.ollama.ai/library/llama3.2/3b"), manifest("sha256:aaaa"));
        write(models.resolve("manifests/hf.co/bartowski/Tiny-GGUF/Q4_K_M"), manifest("sha256:bbbb"));
        write(models.resolve("manifests/registry.ollama.ai/library/broken/latest"), manifest("sha256:cccc"));
        write(models.resolve("blobs/sha256-aaaa"), "GGUF and weights");
        write(models.resolve("blobs/sha256-bbbb"), "GGUF");
        write(models.resolve("blobs/sha256-cccc"), "not a gguf");
        write(models.resolve("blobs/sha256-template"), "{{ .Prompt }}");

        List<FoundModel> found = discover(Map.of());

        assertThat(found).extracting(FoundModel::name, FoundModel::path).containsExactly(
                tuple("hf.co/bartowski/Tiny-GGUF:Q4_K_M", models.resolve("blobs/sha256-bbbb")),
                tuple("llama3.2:3b", models.resolve("blobs/sha256-aaaa")));
        assertThat(found).allMatch(f -> f.source() == Source.OLLAMA && f.format() == ModelFormat.GGUF);
    }

    @Test
    void ollamaModelsMovesOllamasFolder() throws IOException {
        Path models = home.resolve("big-disk/ollama");
        write(models.resolve("manifests/registry.ollama.ai/someone/tiny/latest"), manifest("sha256:dddd"));
        write(models.resolve("blobs/sha256-dddd"), "GGUF");
        assertThat(discover(Map.of("OLLAMA_MODELS", models.toString()))).extracting(FoundModel::name)
                .containsExactly("someone/tiny:latest");
    }

    @Test
    void anEmptyHomeHasNothing() {
        assertThat(discover(Map.of())).isEmpty();
    }

    @Test
    void onWindowsAndMacTheProgramsOwnFoldersAreUsed() {
        var windows = ModelDiscovery.Locations.defaults(Map.of("LOCALAPPDATA", "C:/Users/a/AppData/Local"),
                Path.of("C:/Users/a"), "Windows 11");
        assertThat(windows.gpt4All()).containsExactly(Path.of("C:/Users/a/AppData/Local/nomic.ai/GPT4All"));
        var mac = ModelDiscovery.Locations.defaults(Map.of(), Path.of("/Users/a"), "Mac OS X");
        assertThat(mac.gpt4All()).containsExactly(Path.of("/Users/a/Library/Application Support/nomic.ai/GPT4All"));
        assertThat(mac.ollama()).containsExactly(Path.of("/Users/a/.ollama/models"));
    }

    private List<FoundModel> discover(Map<String, String> env) {
        var locations = ModelDiscovery.Locations.defaults(env, home, "Linux");
        var withoutSystemFolders = new ModelDiscovery.Locations(locations.huggingFaceHub(), locations.lmStudio(),
                locations.jan(), locations.gpt4All(),
                locations.ollama().stream().filter(p -> p.startsWith(home)).toList());
        return new ModelDiscovery(withoutSystemFolders).find();
    }

    private static String manifest(String modelDigest) {
        return """
                {"schemaVersion": 2, "layers": [
                  {"mediaType": "application/vnd.ollama.image.model", "digest": "%s", "size": 4},
                  {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:template", "size": 13}
                ]}""".formatted(modelDigest);
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
