package dev.parlance.inference;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parlance.inference.gguf.GgufFile;
import dev.parlance.inference.model.CausalLm;
import dev.parlance.inference.model.PyTorchThreads;
import dev.parlance.inference.model.GgufWeights;
import dev.parlance.inference.model.MatVec;
import dev.parlance.inference.model.ModelConfig;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SafeTensorsWeights;
import dev.parlance.inference.model.Weights;
import dev.parlance.inference.model.gpt2.Gpt2Config;
import dev.parlance.inference.model.gpt2.Gpt2Model;
import dev.parlance.inference.model.decoder.DecoderConfig;
import dev.parlance.inference.model.decoder.DecoderModel;
import dev.parlance.inference.model.decoder.Family;
import dev.parlance.inference.model.gemma2.Gemma2Family;
import dev.parlance.inference.model.gemma3.Gemma3Family;
import dev.parlance.inference.model.granite.GraniteFamily;
import dev.parlance.inference.model.llama.LlamaFamily;
import dev.parlance.inference.model.llama.TorchLlamaModel;
import dev.parlance.inference.model.phi3.Phi3Family;
import dev.parlance.inference.model.qwen3moe.Qwen3MoeFamily;
import dev.parlance.inference.model.smollm3.SmolLM3Family;
import dev.parlance.inference.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.function.DoubleConsumer;

/**
 * A loaded model, from a Hugging Face folder or a GGUF file: the network, its tokenizer and its
 * generation defaults. Load and use it on one thread (DJL's scopes are thread-local).
 */
public final class LanguageModel implements AutoCloseable {
    /** The decoder families, each on {@link DecoderModel}. */
    private static final List<Family> FAMILIES =
            List.of(new LlamaFamily(), new Gemma3Family(), new Gemma2Family(), new Phi3Family(), new GraniteFamily(),
                    new SmolLM3Family(), new Qwen3MoeFamily());
    /** Architectures this engine runs. */
    public static final List<String> SUPPORTED_ARCHITECTURES = Stream.concat(
            FAMILIES.stream().flatMap(family -> family.huggingFaceArchitectures().stream()),
            Stream.of("GPT2LMHeadModel")).toList();
    /** GGUF {@code general.architecture} values this engine runs. */
    public static final List<String> SUPPORTED_GGUF_ARCHITECTURES =
            FAMILIES.stream().flatMap(family -> family.ggufArchitectures().stream()).toList();

    /** The largest config.json or generation_config.json read. */
    private static final long MAX_CONFIG_BYTES = 16L << 20;
    /** Memory kept free beside the weights for activations, the KV cache and the app. */
    private static final long HEADROOM_BYTES = 512L << 20;

    private final Path path;
    private final CausalLm network;
    private final TextTokenizer tokenizer;
    private final GenerationDefaults defaults;

    private LanguageModel(Path path, CausalLm network, TextTokenizer tokenizer, GenerationDefaults defaults) {
        this.path = path;
        this.network = network;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
    }

    /**
     * Loads a Hugging Face model folder or a GGUF file, with the weights as stored.
     *
     * @param progress told the fraction loaded, 0 to 1
     * @throws ModelLoadException naming the file and the problem when the model cannot be used
     */
    public static LanguageModel load(Path path, DoubleConsumer progress) throws ModelLoadException {
        return load(path, WeightFormat.STORED, progress);
    }

    /**
     * Loads a Hugging Face model folder or a GGUF file.
     *
     * @param weights how a folder's decoder weights are held (a GGUF file's are always used as
     *     stored; GPT-2 and the tensor path widen to float32)
     * @param progress told the fraction loaded, 0 to 1
     * @throws ModelLoadException naming the file and the problem when the model cannot be used
     */
    public static LanguageModel load(Path path, WeightFormat weights, DoubleConsumer progress)
            throws ModelLoadException {
        if (Files.isRegularFile(path)) {
            return loadGguf(path, progress);
        }
        if (!Files.isDirectory(path)) {
            throw new ModelLoadException(path, Files.exists(path) ? "not a model folder or a GGUF file"
                    : "no such file or folder");
        }
        return loadFolder(path, weights, progress);
    }

    private static LanguageModel loadFolder(Path folder, WeightFormat weights, DoubleConsumer progress)
            throws ModelLoadException {
        Path configFile = folder.resolve("config.json");
        JsonObject json = readJson(configFile, true);
        ModelConfig config = parseConfig(json, configFile);
        SafeTensors files = SafeTensors.open(folder);
        boolean storedAsIs = config instanceof DecoderConfig && MatVec.Kernel.best() == MatVec.Kernel.VECTOR;
        if (config instanceof DecoderConfig decoder && !storedAsIs && !TorchLlamaModel.supports(decoder)) {
            throw new ModelLoadException(folder, decoder.architecture() + " runs on Java's Vector API only: start "
                    + "Parlance with --add-modules jdk.incubator.vector (its launcher does)");
        }
        double bytesPerParameter = !storedAsIs ? Float.BYTES
                : weights.type() != null ? weights.type().blockBytes() / (double) weights.type().blockSize()
                : files.storedBytes() / (double) Math.max(1, files.storedElements());
        requireMemory(folder, config, (long) (config.parameterCount() * bytesPerParameter));
        JsonObject generation = readJson(folder.resolve("generation_config.json"), false);
        GenerationDefaults defaults;
        try {
            defaults = GenerationDefaults.from(generation, json);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(folder, "the model's generation settings cannot be used: " + e.getMessage(), e);
        }
        TextTokenizer tokenizer = TextTokenizer.load(folder);
        // PyTorch (libtorch) is loaded only for a model that computes with it
        NDManager manager = storedAsIs ? null : NDManager.newBaseManager();
        SafeTensorsWeights mapped = storedAsIs ? new SafeTensorsWeights(folder, files, weights.type()) : null;
        try {
            CausalLm network;
            if (storedAsIs) {
                DecoderConfig decoder = (DecoderConfig) config;
                network = DecoderModel.load(decoder, mapped, familyOf(decoder.architecture()).orElseThrow()
                        .huggingFaceNames(), progress);
            } else {
                PyTorchThreads.load();
                Weights widened = new Weights(files, manager);
                network = config instanceof DecoderConfig llama
                        ? TorchLlamaModel.load(llama, widened, manager, progress)
                        : Gpt2Model.load((Gpt2Config) config, widened, manager, progress);
            }
            return new LanguageModel(folder, network, tokenizer, defaults);
        } catch (ModelLoadException | RuntimeException | OutOfMemoryError e) {
            if (manager != null) {
                manager.close();
            }
            tokenizer.close();
            if (mapped != null) {
                mapped.close();
            }
            if (e instanceof ModelLoadException problem) {
                throw problem.file() == null ? new ModelLoadException(folder, problem.getMessage(), e) : problem;
            }
            throw new ModelLoadException(folder, "loading failed: " + e, e);
        }
    }

    /** The family that reads config.json's architecture {@code architecture}. */
    private static Optional<Family> familyOf(String architecture) {
        return FAMILIES.stream().filter(family -> family.huggingFaceArchitectures().contains(architecture)).findFirst();
    }

    /**
     * A GGUF file: the decoder network on the file's own (memory-mapped, compressed)
     * tensors, the tokenizer and the end-of-sequence ids from its metadata.
     */
    private static LanguageModel loadGguf(Path path, DoubleConsumer progress) throws ModelLoadException {
        GgufFile file = GgufFile.open(path);
        TextTokenizer tokenizer = null;
        try {
            String architecture = file.string("general.architecture");
            Family family = FAMILIES.stream().filter(f -> f.ggufArchitectures().contains(architecture)).findFirst()
                    .orElseThrow(() -> new ModelLoadException(path, "the GGUF architecture \"" + architecture
                            + "\" is not supported; Parlance runs " + String.join(", ", SUPPORTED_GGUF_ARCHITECTURES)
                            + " files"));
            GgufWeights weights = new GgufWeights(file);
            DecoderConfig config = family.fromGguf(weights);
            requireMemoryForFile(path, config);
            tokenizer = TextTokenizer.fromGguf(file.metadata(), path);
            GenerationDefaults defaults = GenerationDefaults.from(null, ggufTokenIds(file));
            CausalLm network = DecoderModel.load(config, weights, family.ggufNames(), progress);
            return new LanguageModel(path, network, tokenizer, defaults);
        } catch (ModelLoadException | RuntimeException | OutOfMemoryError e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            file.close();
            if (e instanceof ModelLoadException problem) {
                throw problem;
            }
            throw new ModelLoadException(path, "loading failed: " + e, e);
        }
    }

    /** The end-of-sequence, end-of-turn and beginning-of-sequence ids of a GGUF file, as config.json has them. */
    private static JsonObject ggufTokenIds(GgufFile file) {
        JsonObject ids = new JsonObject();
        JsonArray eos = new JsonArray();
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                "tokenizer.ggml.eom_token_id")) {
            file.optInteger(key).ifPresent(id -> eos.add(id));
        }
        ids.add("eos_token_id", eos);
        file.optInteger("tokenizer.ggml.bos_token_id").ifPresent(bos -> ids.addProperty("bos_token_id", bos));
        return ids;
    }

    /**
     * Refuses a file larger than the free memory. Its pages are mapped, not copied, so the
     * kernel may drop them under pressure, but then every token reads them from disk again. Of a
     * mixture of experts only the experts a token is routed to must be in memory: the others are
     * read from the file when a token picks them.
     */
    private static void requireMemoryForFile(Path path, DecoderConfig config) throws ModelLoadException {
        long needed;
        try {
            double resident = (double) config.routedParameterCount() / config.parameterCount();
            needed = (long) (Files.size(path) * resident) + HEADROOM_BYTES;
        } catch (IOException e) {
            throw new ModelLoadException(path, "cannot read: " + e.getMessage(), e);
        }
        long available = SystemMemory.availableBytes();
        if (available > 0 && needed > available) {
            throw new ModelLoadException(path, String.format(
                    "this model needs about %.1f GB of memory (the file and room to compute) but only %.1f GB is "
                            + "free; close other programs or choose a smaller file", needed / 1e9, available / 1e9));
        }
    }

    static ModelConfig parseConfig(JsonObject json, Path file) throws ModelLoadException {
        if (!json.has("architectures") || !json.get("architectures").isJsonArray()
                || json.getAsJsonArray("architectures").isEmpty()) {
            throw new ModelLoadException(file, "no \"architectures\" entry, so the model type is unknown");
        }
        JsonElement first = json.getAsJsonArray("architectures").get(0);
        if (!first.isJsonPrimitive() || !first.getAsJsonPrimitive().isString()) {
            throw new ModelLoadException(file, "\"architectures\" must list names, not " + first);
        }
        String architecture = json.getAsJsonArray("architectures").get(0).getAsString();
        if (architecture.equals("GPT2LMHeadModel")) {
            return Gpt2Config.fromHuggingFace(json, file);
        }
        Optional<Family> family = familyOf(architecture);
        if (family.isEmpty()) {
            throw new ModelLoadException(file, "the architecture " + architecture
                    + " is not supported; Parlance runs " + String.join(", ", SUPPORTED_ARCHITECTURES));
        }
        try {
            return family.get().fromHuggingFace(json, file);
        } catch (ClassCastException | IllegalStateException | UnsupportedOperationException e) {
            // Gson's complaint when a family reads a value as another JSON kind than it is
            throw new ModelLoadException(file, "a value is of another kind than " + architecture
                    + " has there (such as a number where an object belongs); the file is damaged", e);
        }
    }

    private static JsonObject readJson(Path file, boolean required) throws ModelLoadException {
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                // a link to a device such as /dev/zero would be read until memory runs out
                throw new ModelLoadException(file, "is not a regular file");
            }
            if (Files.exists(file) && Files.size(file) > MAX_CONFIG_BYTES) {
                throw new ModelLoadException(file, "is " + Files.size(file) / (1 << 20)
                        + " MB; a model's configuration is a few kilobytes");
            }
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (NoSuchFileException e) {
            if (required) {
                throw new ModelLoadException(file, "missing " + file.getFileName()
                        + " (is this a Hugging Face model folder?)", e);
            }
            return null;
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read: " + e.getMessage(), e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new ModelLoadException(file, ModelLoadException.jsonProblem(e), e);
        }
    }

    /**
     * Refuses, before any allocation, a model whose weights would not fit in free memory.
     *
     * @param weightBytes the weights config.json implies, as the engine holds them: as stored, or
     *     widened to float32
     */
    private static void requireMemory(Path folder, ModelConfig config, long weightBytes) throws ModelLoadException {
        long needed = weightBytes + HEADROOM_BYTES;
        long available = SystemMemory.availableBytes();
        if (available > 0 && needed > available) {
            throw new ModelLoadException(folder, String.format(
                    "this model needs about %.1f GB of memory (%,d parameters) but only %.1f GB is free; "
                            + "close other programs or choose a smaller model",
                    needed / 1e9, config.parameterCount(), available / 1e9));
        }
    }

    /** The model folder or GGUF file this model was loaded from. */
    public Path path() {
        return path;
    }

    /**
     * The context a session gets when the user sets none: the model's own length, but never a KV
     * cache larger than half the free memory (Llama 3.1's 131,072 positions would reserve 16 GB),
     * and at least 2,048 tokens where the model has them.
     */
    public int defaultContextLength() {
        int own = config().contextLength();
        long available = SystemMemory.availableBytes();
        long fits = available > 0 ? available / 2 / config().kvBytesPerToken() : 8192;
        return (int) Math.max(Math.min(own, 2048), Math.min(own, fits));
    }

    /** The context for a user's limit: 0 or less means {@link #defaultContextLength()}; never above the model's. */
    public int contextLengthFor(int limit) {
        return limit <= 0 ? defaultContextLength() : Math.min(limit, config().contextLength());
    }

    /** Computes on {@code threads} threads (the caller's included) from the next token on. */
    public void useThreads(int threads) {
        network.useThreads(threads);
    }

    /** The threads the model computes on: one per core until {@link #useThreads}. */
    public int threads() {
        return network.threads();
    }

    public CausalLm network() {
        return network;
    }

    public ModelConfig config() {
        return network.config();
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public GenerationDefaults defaults() {
        return defaults;
    }

    @Override
    public void close() {
        network.close();
        tokenizer.close();
    }
}
