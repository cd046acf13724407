package dev.parlance.cli;

import dev.parlance.inference.SamplingConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Sampling flags shared by the commands that generate; unset flags keep the model's defaults. */
public final class SamplingOptions {
    @Option(names = "--max-tokens", paramLabel = "N", description = "Most new tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens = 256;

    @Option(names = "--temperature", paramLabel = "T", description = "0 for greedy; default: the model's.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens (0: off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling threshold (1: off).")
    Double topP;

    @Option(names = "--min-p", paramLabel = "M", description = "Drop tokens below M times the best one's probability.")
    Double minP;

    @Option(names = "--repeat-penalty", paramLabel = "R", description = "Penalty for repeated tokens (1: off).")
    Double repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed, for reproducible sampling (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop before this text (repeatable).")
    List<String> stops = new ArrayList<>();

    /** The model's defaults with every flag that was given applied. */
    public SamplingConfig apply(SamplingConfig defaults) {
        List<String> allStops = new ArrayList<>(defaults.stopStrings());
        allStops.addAll(stops);
        return new SamplingConfig(
                temperature != null ? temperature : defaults.temperature(),
                topK != null ? topK : defaults.topK(),
                topP != null ? topP : defaults.topP(),
                minP != null ? minP : defaults.minP(),
                repeatPenalty != null ? repeatPenalty : defaults.repeatPenalty(),
                seed,
                maxTokens,
                allStops);
    }
}
