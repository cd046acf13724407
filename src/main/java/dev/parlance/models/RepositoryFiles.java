package dev.parlance.models;

import dev.parlance.models.DownloadException.Reason;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Which of a repository's files Parlance needs: one GGUF quantization, or a safetensors folder's files. */
final class RepositoryFiles {
    /** The quantizations taken when none is asked for, best first. */
    private static final List<String> DEFAULT_QUANTIZATIONS = List.of("Q4_K_M", "Q8_0");
    /** A folder's files besides the weights that the engine reads. */
    private static final Set<String> FOLDER_FILES = Set.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "model.safetensors.index.json");

    private RepositoryFiles() {}

    /**
     * @param paths the repository's files (the model API's {@code siblings})
     * @param variant a quantization named in the GGUF file's name, or null for the default
     */
    static DownloadPlan plan(String repo, String revision, List<String> paths, String variant) throws DownloadException {
        List<String> ggufs = paths.stream()
                .filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".gguf"))
                .filter(p -> !DownloadPlan.baseName(p).toLowerCase(Locale.ROOT).startsWith("mmproj"))
                .toList();
        if (!ggufs.isEmpty()) {
            String file = chooseGguf(repo, ggufs, variant);
            return new DownloadPlan(DownloadPlan.baseName(file), ModelFormat.GGUF, repo,
                    List.of(new DownloadPlan.RemoteFile(repo, revision, file, -1)));
        }
        List<String> folder = paths.stream()
                .filter(p -> !p.contains("/") && (FOLDER_FILES.contains(p) || p.endsWith(".safetensors")))
                .sorted()
                .toList();
        if (!folder.contains("config.json") || !folder.contains("tokenizer.json")
                || folder.stream().noneMatch(p -> p.endsWith(".safetensors"))) {
            throw new DownloadException(Reason.UNSUPPORTED, repo + " has neither a GGUF file nor a model folder"
                    + " Parlance runs (config.json, tokenizer.json and .safetensors weights)");
        }
        if (variant != null) {
            throw new DownloadException(Reason.UNSUPPORTED, repo + " has no GGUF files to choose \"" + variant
                    + "\" from, only a safetensors folder: pull it without ':" + variant + "'");
        }
        return new DownloadPlan(repo.substring(repo.indexOf('/') + 1), ModelFormat.SAFETENSORS, repo,
                folder.stream().map(p -> new DownloadPlan.RemoteFile(repo, revision, p, -1)).toList());
    }

    private static String chooseGguf(String repo, List<String> ggufs, String variant) throws DownloadException {
        if (variant == null) {
            if (ggufs.size() == 1) {
                return ggufs.getFirst();
            }
            for (String quantization : DEFAULT_QUANTIZATIONS) {
                List<String> matching = matching(ggufs, quantization);
                if (matching.size() == 1) {
                    return matching.getFirst();
                }
            }
            throw new DownloadException(Reason.UNSUPPORTED, repo + " has several GGUF files; choose one with "
                    + repo + ":QUANTIZATION, from: " + String.join(", ", ggufs));
        }
        List<String> matching = matching(ggufs, variant);
        if (matching.size() != 1) {
            throw new DownloadException(Reason.UNSUPPORTED, repo + (matching.isEmpty() ? " has no GGUF file of \""
                    : " has several GGUF files of \"") + variant + "\"; its GGUF files are: " + String.join(", ", ggufs));
        }
        return matching.getFirst();
    }

    /** The files whose name has the quantization as a word: {@code -Q4_K_M.gguf}, {@code .q4_k_m.gguf}. */
    private static List<String> matching(List<String> ggufs, String quantization) {
        String q = quantization.toLowerCase(Locale.ROOT);
        return ggufs.stream().filter(p -> {
            String name = DownloadPlan.baseName(p).toLowerCase(Locale.ROOT);
            int at = name.lastIndexOf(q);
            return at > 0 && !Character.isLetterOrDigit(name.charAt(at - 1))
                    && name.substring(at + q.length()).equals(".gguf");
        }).toList();
    }
}
