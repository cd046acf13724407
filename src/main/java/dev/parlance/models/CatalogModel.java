package dev.parlance.models;

import dev.parlance.inference.LanguageModel;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A curated model of the catalog.
 *
 * @param id short stable name, used on the command line ({@code qwen3-4b})
 * @param name display name
 * @param repo the model's repository (its page carries the licence; gated models are accepted there)
 * @param license licence identifier as the repository states it
 * @param gated whether the repository asks users to accept its licence and sign in before downloading
 * @param parameters parameter count
 * @param contextLength the longest context the model was trained for, in tokens
 * @param languages ISO 639-1 codes, or {@code multilingual}
 * @param tasks what it is for: {@code chat}, {@code reasoning}, {@code code}, {@code completion}
 * @param architecture the GGUF {@code general.architecture} name of the family
 * @param hfArchitecture the {@code architectures[0]} of its config.json
 * @param layers transformer layers, for the KV cache size
 * @param kvHeads key/value heads per layer
 * @param headDim dimension of one head
 * @param needs empty when the engine runs the family; else what the engine still needs for it
 * @param variants the downloadable forms, smallest first
 */
public record CatalogModel(String id, String name, String repo, String license, boolean gated, long parameters,
        int contextLength, List<String> languages, List<String> tasks, String architecture, String hfArchitecture,
        int layers, int kvHeads, int headDim, Optional<String> needs, List<Variant> variants) {
    public CatalogModel {
        languages = List.copyOf(languages);
        tasks = List.copyOf(tasks);
        variants = List.copyOf(variants);
        if (id == null || !id.matches("[a-z0-9][a-z0-9.\\-]*")) {
            throw new IllegalArgumentException("a catalog id is lower case letters, digits, '.' and '-', not \"" + id + "\"");
        }
        if (repo == null || !repo.matches("[\\w.\\-]+/[\\w.\\-]+")) {
            throw new IllegalArgumentException(id + ": repository must be owner/name, not \"" + repo + "\"");
        }
        if (parameters <= 0 || contextLength <= 0 || layers <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException(id + ": parameters, context length and shape must be positive");
        }
        if (variants.isEmpty()) {
            throw new IllegalArgumentException(id + ": no variants");
        }
        if (variants.stream().map(v -> v.name().toLowerCase(Locale.ROOT)).distinct().count() != variants.size()) {
            throw new IllegalArgumentException(id + ": two variants share a name");
        }
    }

    /** Bytes of KV cache per token of context: keys and values of every layer, in float32 as the engine keeps them. */
    public long kvBytesPerToken() {
        return 2L * layers * kvHeads * headDim * Float.BYTES;
    }

    /** Whether this engine runs the variant: it has the architecture, and the entry waits for nothing. */
    public boolean runsHere(Variant variant) {
        return needs.isEmpty() && engineHasArchitecture(variant);
    }

    /** Whether the engine has the variant's architecture (GGUF name or config.json name, by format). */
    public boolean engineHasArchitecture(Variant variant) {
        return variant.format() == ModelFormat.GGUF
                ? LanguageModel.SUPPORTED_GGUF_ARCHITECTURES.contains(architecture)
                : LanguageModel.SUPPORTED_ARCHITECTURES.contains(hfArchitecture);
    }

    /** The variant of that name, ignoring case. */
    public Optional<Variant> variant(String variantName) {
        return variants.stream().filter(v -> v.name().equalsIgnoreCase(variantName)).findFirst();
    }

    /** Whether the text occurs (ignoring case) in the id, name, repository, architecture, a language or a task. */
    public boolean matches(String text) {
        String needle = text.toLowerCase(Locale.ROOT).strip();
        if (needle.isEmpty()) {
            return true;
        }
        return id.contains(needle) || name.toLowerCase(Locale.ROOT).contains(needle)
                || repo.toLowerCase(Locale.ROOT).contains(needle) || architecture.contains(needle)
                || languages.contains(needle) || tasks.contains(needle);
    }
}
