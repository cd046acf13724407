package dev.parlance.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.parlance.inference.GenerationResult;
import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.model.MatVec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code parlance generate}: continues a prompt (plain text, no chat template) and streams the text. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a model folder; the text streams to stdout.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "A GGUF file or a Hugging Face model folder.")
    Path model;

    @Option(names = "--weights", paramLabel = "FORMAT", defaultValue = "stored",
            description = "How a folder's weights are held: stored (as in its files), q8_0, q4_0 or q4_k "
                    + "(quantized at load; GGUF files are used as they are).")
    WeightFormat weights;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptInput input;

    static final class PromptInput {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "The text to continue.")
        String text;

        @Option(names = "--prompt-ids", paramLabel = "IDS", split = ",", description = "Token ids instead of text: 1,2,3.")
        int[] ids;
    }

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--logprobs", paramLabel = "K", description = "Report the top-K alternatives of every token.")
    int logprobs;

    @Option(names = "--json", description = "Print one JSON object at the end instead of streaming "
            + "(a log-probability that is not a finite number, from a model whose output is, is null).")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (logprobs < 0) {
            return CliSupport.fail(spec, "--logprobs must be >= 0, was " + logprobs);
        }
        long start = System.nanoTime();
        try (LanguageModel lm = CliSupport.loadModel(model, weights, spec)) {
            if (lm == null) {
                return CliSupport.EXIT_MODEL;
            }
            double loadMillis = (System.nanoTime() - start) / 1e6;
            int[] prompt = input.ids != null ? input.ids : lm.tokenizer().encode(input.text);
            SamplingConfig config;
            try {
                config = sampling.apply(lm.defaults().sampling());
            } catch (IllegalArgumentException e) {
                return CliSupport.fail(spec, e.getMessage());
            }
            int context = Math.min(lm.config().contextLength(), prompt.length + config.maxNewTokens() + 1);
            try (Generator generator = new Generator(lm, context)) {
                // a failed write (the pipe closed, the disk is full) stops the computing at once
                AtomicBoolean outputFailed = new AtomicBoolean();
                var request = new Generator.Request(prompt, config, Set.of(), logprobs, outputFailed::get);
                GenerationResult result = generator.generate(request, (id, text, logprob) -> {
                    if (!json) {
                        out.print(text);
                        outputFailed.set(out.checkError());
                    }
                });
                if (json) {
                    out.println(new GsonBuilder().disableHtmlEscaping().serializeNulls().create()
                            .toJson(toJson(prompt, result, loadMillis, lm.network().decodeKernel())));
                } else {
                    out.println();
                }
                out.flush();
                return 0;
            } catch (IllegalArgumentException e) {
                return CliSupport.fail(spec, e.getMessage());
            }
        }
    }

    private JsonObject toJson(int[] prompt, GenerationResult result, double loadMillis, MatVec.Kernel kernel) {
        JsonObject root = new JsonObject();
        root.addProperty("model", model.toString());
        root.add("prompt_ids", CliSupport.jsonInts(prompt));
        root.add("ids", CliSupport.jsonInts(result.tokens()));
        root.addProperty("text", result.text());
        root.addProperty("finish_reason", result.finish().name().toLowerCase(java.util.Locale.ROOT));
        root.addProperty("decode_kernel", kernel.name().toLowerCase(java.util.Locale.ROOT));
        if (logprobs > 0) {
            JsonArray entries = new JsonArray();
            for (TokenLogprob logprob : result.logprobs()) {
                JsonObject entry = new JsonObject();
                entry.addProperty("id", logprob.id());
                entry.addProperty("token", logprob.token());
                entry.add("logprob", CliSupport.jsonNumber(logprob.logprob()));
                JsonArray top = new JsonArray();
                for (TokenLogprob.Alternative alternative : logprob.top()) {
                    JsonObject alt = new JsonObject();
                    alt.addProperty("id", alternative.id());
                    alt.addProperty("token", alternative.token());
                    alt.add("logprob", CliSupport.jsonNumber(alternative.logprob()));
                    top.add(alt);
                }
                entry.add("top_logprobs", top);
                entries.add(entry);
            }
            root.add("logprobs", entries);
        }
        var stats = result.stats();
        JsonObject timings = new JsonObject();
        timings.addProperty("load_ms", loadMillis);
        timings.addProperty("ttft_ms", stats.timeToFirstTokenMillis());
        timings.addProperty("prompt_tokens", stats.promptTokens());
        timings.addProperty("generated_tokens", stats.generatedTokens());
        timings.addProperty("prefill_tok_s", stats.prefillTokensPerSecond());
        timings.addProperty("decode_tok_s", stats.decodeTokensPerSecond());
        root.add("timings", timings);
        return root;
    }
}
