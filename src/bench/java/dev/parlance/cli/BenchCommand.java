package dev.parlance.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.inference.GenerationResult;
import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.SystemMemory;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.model.Compute;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.MatVec;
import dev.parlance.inference.model.ModelConfig;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.PyTorchThreads;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.inference.model.TorchMatVec;
import dev.parlance.inference.sampling.Sampler;
import dev.parlance.inference.tensor.WeightMatrix;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code parlance bench}: load time, prefill and decode speed, time to first token and peak
 * memory, next to this machine's own limits: the time one fp32 matrix-vector product takes over as
 * many bytes as the model's weights (the decode roofline; the faster of PyTorch's product and the
 * engine's own decode kernel), and one large fp32 GEMM's throughput.
 * With {@code --chat-turns N} it holds an N-turn chat instead and reports each turn's time to first
 * token and prompt tokens computed and reused (see {@link ChatTurnsBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure load, prefill and decode speed against this machine's matrix-product limits.",
            "With --chat-turns: time to first token turn by turn in one chat, with its KV cache reused."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--model", paramLabel = "MODEL", description = "A GGUF file or a Hugging Face model folder.")
        Path model;

        @Option(names = "--synthetic", paramLabel = "SHAPE",
                description = "Random weights at a real shape: smollm2-135m, qwen2.5-0.5b, tinyllama-1.1b.")
        String synthetic;
    }

    @Option(names = "--keep-synthetic", paramLabel = "DIR",
            description = "Write the synthetic model into DIR and keep it, to run other engines on the same weights.")
    Path keepSynthetic;

    @Option(names = "--format", paramLabel = "TYPE",
            description = "Write the synthetic weights as a GGUF file of this type instead of a folder: f32, f16, bf16, "
                    + "q8_0 or q4_0.")
    String format;

    @Option(names = "--dtype", description = "Stored dtype of synthetic weights: F32, F16, BF16 (default: ${DEFAULT-VALUE}).")
    SafeTensors.DType dtype = SafeTensors.DType.F32;

    @Option(names = "--prompt-tokens", description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens = 512;

    @Option(names = "--decode-tokens", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int decodeTokens = 128;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = "--repeat", paramLabel = "N",
            description = "Runs of the protocol, each followed by its own measurement of the machine; the "
                    + "report gives medians (default: ${DEFAULT-VALUE}).")
    int repeat = 3;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--chat-turns", paramLabel = "N",
            description = "Instead, hold an N-turn chat and report each turn's time to first token and the prompt "
                    + "tokens computed and reused.")
    Integer chatTurns;

    @Option(names = "--message-chars", paramLabel = "N",
            description = "With --chat-turns: the length of every user message (default: ${DEFAULT-VALUE}).")
    int messageChars = 64;

    @Option(names = "--answer-tokens", paramLabel = "N",
            description = "With --chat-turns: the most tokens of every answer (default: ${DEFAULT-VALUE}).")
    int answerTokens = 32;

    @Override
    public Integer call() throws IOException {
        if (repeat < 1) {
            return CliSupport.fail(spec, "--repeat must be at least 1");
        }
        Path folder = source.model;
        Path temp = null;
        if (source.synthetic != null) {
            SyntheticModel.Shape shape;
            try {
                shape = SyntheticModel.Shape.parse(source.synthetic);
            } catch (IllegalArgumentException e) {
                return CliSupport.fail(spec, "unknown shape " + source.synthetic
                        + "; use smollm2-135m, qwen2.5-0.5b or tinyllama-1.1b");
            }
            GgmlType type = format != null ? ggufType(format) : null;
            if (format != null && type == null) {
                return CliSupport.fail(spec, "unknown --format " + format + "; use f32, f16, bf16, q8_0 or q4_0");
            }
            if (keepSynthetic == null) {
                temp = Files.createTempDirectory("parlance-bench");
            }
            if (type != null) {
                Path parent = Files.createDirectories(keepSynthetic != null ? keepSynthetic : temp);
                folder = SyntheticModel.writeGguf(parent.resolve(shape.displayName() + "-" + type + ".gguf"), shape,
                        type, 1);
            } else {
                folder = SyntheticModel.write(keepSynthetic != null ? keepSynthetic
                        : temp.resolve(shape.name().toLowerCase()), shape, dtype, 1, 1);
            }
        }
        try {
            return chatTurns != null ? runChat(folder) : run(folder);
        } finally {
            if (temp != null) {
                deleteTree(temp);
            }
        }
    }

    /** The threads asked for, or one per core. */
    private int threadCount() {
        return threads != null ? threads : Compute.defaultThreads();
    }

    private String syntheticName() {
        return "synthetic " + source.synthetic + " " + (format != null ? ggufType(format) + " GGUF" : dtype);
    }

    private static GgmlType ggufType(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            case "Q8_0" -> GgmlType.Q8_0;
            case "Q4_0" -> GgmlType.Q4_0;
            default -> null;
        };
    }

    private int run(Path folder) {
        long loadStart = System.nanoTime();
        try (LanguageModel model = CliSupport.loadModel(folder, spec)) {
            if (model == null) {
                return CliSupport.EXIT_MODEL;
            }
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            model.useThreads(threadCount());
            ModelConfig config = model.config();
            int context = promptTokens + decodeTokens + 1;
            if (context > config.contextLength()) {
                return CliSupport.fail(spec, "prompt and decode tokens exceed the model's context of "
                        + config.contextLength());
            }
            int[] prompt = randomPrompt(config.vocabSize(), model.defaults().bosId());
            var sampling = SamplingConfig.greedy(decodeTokens);
            try (Generator warmup = new Generator(model, 64)) {
                warmup.generate(new Generator.Request(Arrays.copyOf(prompt, 16), SamplingConfig.greedy(8),
                        Set.of(), 0, () -> false, true), (id, t, l) -> { });
            }
            long weightBytes = model.network().weightBytesPerToken();
            List<JsonObject> runs = new ArrayList<>();
            long peakRss = 0;
            for (int i = 0; i < repeat; i++) {
                GenerationResult result;
                try (Generator generator = new Generator(model, context)) {
                    result = generator.generate(new Generator.Request(prompt, sampling, Set.of(), 0, () -> false, true),
                            (id, t, l) -> { });
                }
                if (i == 0) {
                    peakRss = SystemMemory.peakResidentBytes(); // before the machine's measurements allocate
                }
                // the machine is measured right after each run: on a shared VM its bandwidth drifts;
                // the roofline measures PyTorch's products too, which loads it only now
                PyTorchThreads.load();
                PyTorchThreads.set(threadCount());
                Map<MatVec.Kernel, Double> gemv = gemvBandwidth(Math.min(weightBytes, 512L << 20), 2048, threadCount());
                MatVec.Kernel fastest = fastest(gemv);
                Map<MatVec.Kernel, Double> narrowGemv = gemvBandwidth(Math.min(weightBytes, 512L << 20),
                        config.hiddenSize(), threadCount());
                double narrowGemvBytesPerSecond = Collections.max(narrowGemv.values());
                double gemmFlops = gemmThroughput();
                JsonObject run = report(folder, config, loadSeconds, result, weightBytes, gemv.get(fastest), gemmFlops);
                run.addProperty("gemv_kernel", fastest.name().toLowerCase(Locale.ROOT));
                run.addProperty("decode_kernel", model.network().decodeKernel().name().toLowerCase(Locale.ROOT));
                gemv.forEach((kernel, bandwidth) ->
                        run.addProperty("gemv_" + kernel.name().toLowerCase(Locale.ROOT) + "_gb_s", bandwidth / 1e9));
                run.addProperty("gemv_model_width_gb_s", narrowGemvBytesPerSecond / 1e9);
                run.addProperty("roofline_model_width_ms", weightBytes / narrowGemvBytesPerSecond * 1000);
                run.addProperty("decode_vs_roofline_paired", pairedDecodeRatio(model, prompt, weightBytes, fastest));
                runs.add(run);
            }
            JsonObject report = medians(runs);
            report.addProperty("peak_rss_mb", peakRss / 1e6);
            print(report);
            return 0;
        }
    }

    /** Every numeric figure as the median over the runs; the two ratios also run by run. */
    private static JsonObject medians(List<JsonObject> runs) {
        JsonObject median = runs.get(0).deepCopy();
        for (String key : runs.get(0).keySet()) {
            JsonElement first = runs.get(0).get(key);
            if (first.isJsonPrimitive() && first.getAsJsonPrimitive().isNumber()) {
                median.addProperty(key, median(runs.stream().mapToDouble(r -> r.get(key).getAsDouble()).toArray()));
            }
        }
        median.addProperty("repeats", runs.size());
        for (String key : List.of("decode_vs_roofline", "decode_vs_roofline_paired", "prefill_vs_gemm")) {
            JsonArray each = new JsonArray();
            runs.forEach(r -> each.add(r.get(key)));
            median.add(key + "_runs", each);
        }
        return median;
    }

    private int runChat(Path folder) throws IOException {
        if (chatTurns < 1 || messageChars < 1 || answerTokens < 1) {
            return CliSupport.fail(spec, "--chat-turns, --message-chars and --answer-tokens must be at least 1");
        }
        try (LanguageModel model = CliSupport.loadModel(folder, spec)) {
            if (model == null) {
                return CliSupport.EXIT_MODEL;
            }
            model.useThreads(threadCount());
            ChatTurnsBench bench = new ChatTurnsBench(chatTurns, messageChars, answerTokens, repeat);
            if (bench.contextTokens() > model.config().contextLength()) {
                return CliSupport.fail(spec, chatTurns + " turns need about " + bench.contextTokens()
                        + " tokens of context but the model has " + model.config().contextLength());
            }
            List<ChatTurnsBench.Turn> turns = bench.run(model, ChatTemplate.fromModel(folder));
            String name = source.synthetic != null ? syntheticName() : folder.toString();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                JsonObject report = bench.toJson(turns);
                report.addProperty("model", name);
                report.addProperty("threads", model.threads());
                out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(report));
            } else {
                out.printf("model           %s (%s, %,d parameters)%n", name, model.config().architecture(),
                        model.config().parameterCount());
                out.printf("threads         %d%n", model.threads());
                bench.print(turns, out);
            }
            out.flush();
            return 0;
        }
    }

    private JsonObject report(Path folder, ModelConfig config, double loadSeconds, GenerationResult result,
            long weightBytes, double gemvBytesPerSecond, double gemmFlops) {
        var stats = result.stats();
        double decodeMsPerToken = stats.decodeTokensPerSecond() > 0 ? 1000 / stats.decodeTokensPerSecond() : 0;
        double rooflineMs = weightBytes / gemvBytesPerSecond * 1000;
        // a prompt token passes through every matrix but the output projection (only the last one does)
        double prefillFlops = 2.0 * config.prefillParametersPerToken() * stats.prefillTokensPerSecond();
        JsonObject r = new JsonObject();
        r.addProperty("model", source.synthetic != null ? syntheticName() : folder.toString());
        r.addProperty("architecture", config.architecture());
        r.addProperty("parameters", config.parameterCount());
        r.addProperty("hidden_size", config.hiddenSize());
        r.addProperty("weight_mb", weightBytes / 1e6);
        r.addProperty("threads", threadCount());
        r.addProperty("prompt_tokens", stats.promptTokens());
        r.addProperty("decode_tokens", stats.generatedTokens());
        r.addProperty("load_s", loadSeconds);
        r.addProperty("ttft_ms", stats.timeToFirstTokenMillis());
        r.addProperty("prefill_tok_s", stats.prefillTokensPerSecond());
        r.addProperty("decode_tok_s", stats.decodeTokensPerSecond());
        r.addProperty("decode_ms_per_token", decodeMsPerToken);
        r.addProperty("kv_cache_mb", config.kvBytesPerToken() * (double) (stats.promptTokens() + stats.generatedTokens()) / 1e6);
        r.addProperty("gemv_gb_s", gemvBytesPerSecond / 1e9);
        r.addProperty("roofline_decode_ms", rooflineMs);
        r.addProperty("decode_vs_roofline", decodeMsPerToken / rooflineMs);
        r.addProperty("gemm_gflops", gemmFlops / 1e9);
        r.addProperty("prefill_gflops", prefillFlops / 1e9);
        r.addProperty("prefill_vs_gemm", prefillFlops / gemmFlops);
        return r;
    }

    private void print(JsonObject r) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(r));
        } else {
            out.printf("model           %s (%s, %,d parameters, %.0f MB fp32)%n", r.get("model").getAsString(),
                    r.get("architecture").getAsString(), r.get("parameters").getAsLong(), r.get("weight_mb").getAsDouble());
            out.printf("threads         %d (decode kernel: %s)%n", r.get("threads").getAsInt(),
                    r.get("decode_kernel").getAsString());
            out.printf("load            %.2f s%n", r.get("load_s").getAsDouble());
            out.printf("prefill         %.1f tok/s over %d tokens (%.1f GFLOP/s, %.2f of one large GEMM's %.1f)%n",
                    r.get("prefill_tok_s").getAsDouble(), r.get("prompt_tokens").getAsInt(),
                    r.get("prefill_gflops").getAsDouble(), r.get("prefill_vs_gemm").getAsDouble(),
                    r.get("gemm_gflops").getAsDouble());
            out.printf("time to first   %.1f ms%n", r.get("ttft_ms").getAsDouble());
            out.printf("decode          %.1f tok/s = %.2f ms/token (roofline %.2f ms at %.1f GB/s: %.2fx)%n",
                    r.get("decode_tok_s").getAsDouble(), r.get("decode_ms_per_token").getAsDouble(),
                    r.get("roofline_decode_ms").getAsDouble(), r.get("gemv_gb_s").getAsDouble(),
                    r.get("decode_vs_roofline").getAsDouble());
            out.printf("                (the roofline is the faster matrix-vector product: %s%s)%n",
                    r.has("gemv_vector_gb_s") ? String.format(Locale.ROOT, "Vector API %.1f GB/s, ",
                            r.get("gemv_vector_gb_s").getAsDouble()) : "",
                    String.format(Locale.ROOT, "PyTorch %.1f GB/s", r.get("gemv_torch_gb_s").getAsDouble()));
            out.printf("                (rows as wide as the model's hidden size, %d: %.1f GB/s, roofline %.2f ms)%n",
                    r.get("hidden_size").getAsInt(), r.get("gemv_model_width_gb_s").getAsDouble(),
                    r.get("roofline_model_width_ms").getAsDouble());
            out.printf("peak memory     %.0f MB resident (KV cache %.1f MB)%n", r.get("peak_rss_mb").getAsDouble(),
                    r.get("kv_cache_mb").getAsDouble());
            out.printf("paired          a decode step over the roofline product timed right after it: %.2fx"
                    + " (median of %d pairs)%n", r.get("decode_vs_roofline_paired").getAsDouble(), PAIRS);
            out.printf("medians of %d   decode/roofline run by run %s, paired %s, prefill/GEMM %s%n",
                    r.get("repeats").getAsInt(), ratios(r.getAsJsonArray("decode_vs_roofline_runs")),
                    ratios(r.getAsJsonArray("decode_vs_roofline_paired_runs")),
                    ratios(r.getAsJsonArray("prefill_vs_gemm_runs")));
        }
        out.flush();
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String ratios(JsonArray values) {
        List<String> each = new ArrayList<>();
        values.forEach(v -> each.add(String.format(Locale.ROOT, "%.2f", v.getAsDouble())));
        return String.join(" ", each);
    }

    private int[] randomPrompt(int vocab, int bos) {
        Random random = new Random(1);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = random.nextInt(Math.min(vocab, 256));
        }
        if (bos >= 0) {
            prompt[0] = bos;
        }
        return prompt;
    }

    /**
     * Bytes per second of fp32 matrix-vector products over a matrix of {@code bytes} with rows of
     * {@code cols}, best of several, on the compute threads as in decoding, for each kernel here.
     */
    static Map<MatVec.Kernel, Double> gemvBandwidth(long bytes, int cols, int threads) {
        long rows = Math.max(1, bytes / Float.BYTES / cols);
        Map<MatVec.Kernel, Double> bandwidth = new EnumMap<>(MatVec.Kernel.class);
        try (NDManager manager = NDManager.newBaseManager(); Compute compute = new Compute(threads)) {
            NDArray matrix = manager.randomUniform(-1, 1, new Shape(rows, cols));
            float[] x = manager.randomUniform(-1, 1, new Shape(cols)).toFloatArray();
            float[] y = new float[(int) rows];
            for (MatVec.Kernel kernel : kernelsHere()) {
                Product product = product(matrix, kernel, compute);
                double best = Double.MAX_VALUE;
                for (int i = 0; i < 12; i++) {
                    long start = System.nanoTime();
                    product.multiply(x, y);
                    best = Math.min(best, (System.nanoTime() - start) / 1e9);
                }
                bandwidth.put(kernel, rows * cols * (double) Float.BYTES / best);
            }
        }
        return bandwidth;
    }

    /** One token's product {@code y = W · x}, as a decode step makes it. */
    private interface Product {
        void multiply(float[] x, float[] y);
    }

    /** The float32 {@code matrix}'s product on {@code kernel}, the vector kernel's on {@code compute}'s threads. */
    private static Product product(NDArray matrix, MatVec.Kernel kernel, Compute compute) {
        if (kernel == MatVec.Kernel.TORCH) {
            return new TorchMatVec(matrix)::multiply;
        }
        Shape shape = matrix.getShape();
        WeightMatrix weights = WeightMatrix.of(GgmlType.F32, MemorySegment.ofBuffer(matrix.toByteBuffer(true)),
                Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)));
        return MatVec.stacked(compute, weights)::multiply;
    }

    private static List<MatVec.Kernel> kernelsHere() {
        return MatVec.Kernel.best() == MatVec.Kernel.VECTOR ? List.of(MatVec.Kernel.values()) : List.of(MatVec.Kernel.TORCH);
    }

    /** The kernel of the highest bandwidth. */
    static MatVec.Kernel fastest(Map<MatVec.Kernel, Double> bandwidth) {
        return Collections.max(bandwidth.entrySet(), Map.Entry.comparingByValue()).getKey();
    }

    /** Decode steps and roofline products timed in alternation by {@link #pairedDecodeRatio}. */
    static final int PAIRS = 24;

    /**
     * A decode step's time over the roofline's, from steps and roofline products timed in
     * alternation: the median of {@link #PAIRS} ratios (fewer if the context is shorter), each of
     * a step (the forward pass of one token after the prompt, and its logits copied out) and the
     * product timed right after it.
     * On a shared machine whose bandwidth drifts within seconds, this compares the two under the
     * same conditions, where a run's mean step and the best of a dozen products after it need not.
     */
    static double pairedDecodeRatio(LanguageModel model, int[] prompt, long weightBytes, MatVec.Kernel kernel) {
        long matrixBytes = Math.min(weightBytes, 512L << 20);
        long rows = matrixBytes / Float.BYTES / 2048;
        int pairs = Math.min(PAIRS, model.config().contextLength() - prompt.length);
        double[] ratios = new double[pairs];
        try (NDManager manager = NDManager.newBaseManager(); Compute compute = new Compute(model.threads());
                KvCache cache = model.network().newCache(prompt.length + pairs)) {
            Product roofline = product(manager.randomUniform(-1, 1, new Shape(rows, 2048)), kernel, compute);
            float[] x = manager.randomUniform(-1, 1, new Shape(2048)).toFloatArray();
            float[] y = new float[(int) rows];
            model.network().forward(prompt, cache, false);
            int token = prompt[prompt.length - 1];
            for (int i = 0; i < pairs; i++) {
                long start = System.nanoTime();
                float[] logits = model.network().forward(new int[] {token}, cache, false);
                long stepNanos = System.nanoTime() - start;
                start = System.nanoTime();
                roofline.multiply(x, y);
                double rooflineNanos = (System.nanoTime() - start) * (double) weightBytes / (rows * 2048L * Float.BYTES);
                ratios[i] = stepNanos / rooflineNanos;
                token = Sampler.argmax(logits);
            }
        }
        return median(ratios);
    }

    /** Floating-point operations per second of one large fp32 matrix product, best of several. */
    static double gemmThroughput() {
        int m = 512;
        int k = 2048;
        int n = 2048;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomUniform(-1, 1, new Shape(m, k));
            NDArray b = manager.randomUniform(-1, 1, new Shape(n, k));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                long start = System.nanoTime();
                Ops.linear(a, b, null).close();
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            return 2.0 * m * k * n / best;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
