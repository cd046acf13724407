package dev.parlance.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.parlance.RuntimeInfo;
import dev.parlance.inference.GenerationResult;
import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import dev.parlance.store.SqliteConversationStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code parlance --self-test}: checks, one line each, that this installation works — the compute
 * path, a model loaded and a few tokens generated on it, PyTorch's engine, a conversation store
 * opened and closed — and exits 0, or 1 naming what failed. For support requests and for CI.
 */
@Command(name = "self-test", aliases = "--self-test", mixinStandardHelpOptions = true,
        description = "Check that this installation works: load a model (or a built-in tiny one), generate, "
                + "open a store. Also: --self-test.")
public final class SelfTestCommand implements Callable<Integer> {
    private static final int TOKENS = 8;

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "A GGUF file or model folder to try; without it, tiny built-in models (a folder and a GGUF file).")
    Path model;

    private interface Check {
        String run() throws Exception;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        RuntimeInfo.describe().forEach(out::println);
        Path scratch = Files.createTempDirectory("parlance-self-test");
        List<String> failures = new ArrayList<>();
        try {
            if (model != null) {
                check(out, failures, "model " + model, () -> generate(model));
            } else {
                Path folder = SyntheticModel.write(scratch.resolve("tiny"), SyntheticModel.Shape.TINY,
                        SafeTensors.DType.F32, 1, 7);
                check(out, failures, "built-in model folder", () -> generate(folder));
                Path gguf = SyntheticModel.writeGguf(scratch.resolve("tiny-q8_0.gguf"), SyntheticModel.Shape.TINY,
                        GgmlType.Q8_0, 7);
                check(out, failures, "built-in GGUF file", () -> generate(gguf));
            }
            check(out, failures, "PyTorch engine", SelfTestCommand::torchProduct);
            check(out, failures, "conversation store", () -> openStore(scratch.resolve("store")));
        } finally {
            deleteTree(scratch);
        }
        if (failures.isEmpty()) {
            out.println("self-test passed");
            return 0;
        }
        spec.commandLine().getErr().println("self-test failed: " + String.join("; ", failures));
        return CliSupport.EXIT_FAILED;
    }

    private static void check(PrintWriter out, List<String> failures, String name, Check check) {
        try {
            out.println("ok      " + name + ": " + check.run());
        } catch (Exception | Error e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            out.println("FAILED  " + name + ": " + reason);
            failures.add(name + ": " + reason);
        }
        out.flush();
    }

    /** Loads the model and generates a few greedy tokens, timed. */
    private static String generate(Path path) throws Exception {
        long start = System.nanoTime();
        try (LanguageModel loaded = LanguageModel.load(path, WeightFormat.STORED, progress -> {});
                Generator generator = new Generator(loaded, loaded.contextLengthFor(64))) {
            long loadedAt = System.nanoTime();
            int[] prompt = loaded.tokenizer().encode("Once upon a time");
            if (prompt.length == 0) {
                prompt = new int[] {0};
            }
            GenerationResult result = generator.generate(
                    Generator.Request.of(prompt, SamplingConfig.greedy(TOKENS)), (id, text, logprob) -> {});
            if (result.tokens().length == 0) {
                throw new IllegalStateException("no token was generated");
            }
            return String.format("%s loaded in %.2f s, %d tokens in %.2f s", loaded.config().architecture(),
                    (loadedAt - start) / 1e9, result.tokens().length, (System.nanoTime() - loadedAt) / 1e9);
        }
    }

    /** A 2 x 2 product on PyTorch, against its known result. */
    private static String torchProduct() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray a = manager.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
            float[] product = a.matMul(a).toFloatArray();
            if (product[0] != 7 || product[1] != 10 || product[2] != 15 || product[3] != 22) {
                throw new IllegalStateException("a 2 x 2 product came out wrong");
            }
            return "PyTorch " + manager.getEngine().getVersion();
        }
    }

    private static String openStore(Path directory) {
        SqliteConversationStore store = SqliteConversationStore.open(directory);
        try {
            return store.conversations().size() + " conversations in a new store at a temporary path";
        } finally {
            store.close();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
