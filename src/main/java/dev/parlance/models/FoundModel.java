package dev.parlance.models;

import java.nio.file.Path;

/**
 * A model another program downloaded, usable where it is (Parlance does not copy it).
 *
 * @param name how its program names it: {@code owner/name} for the Hugging Face cache,
 *     {@code llama3.2:3b} for Ollama, the file name for the others
 * @param path the GGUF file or model folder to load
 * @param format GGUF file or safetensors folder
 * @param source which program's folder it is in
 * @param bytes its size on disk
 */
public record FoundModel(String name, Path path, ModelFormat format, Source source, long bytes) {
    /** The programs whose model folders Parlance looks in. */
    public enum Source {
        HUGGING_FACE_CACHE("Hugging Face cache"),
        LM_STUDIO("LM Studio"),
        JAN("Jan"),
        GPT4ALL("GPT4All"),
        OLLAMA("Ollama");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        /** The program's name, for display. */
        public String label() {
            return label;
        }
    }
}
