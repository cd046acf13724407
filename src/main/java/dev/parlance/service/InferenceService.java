package dev.parlance.service;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.inference.WeightFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Owns the loaded model and the one worker thread on which it runs. Requests queue; listeners
 * are called on the worker thread, never on the caller's.
 */
public interface InferenceService extends AutoCloseable {

    /**
     * Loads a model on the worker thread, closing the previous model. The future fails with a
     * {@link dev.parlance.inference.ModelLoadException} whose message is fit to show a person.
     *
     * @param model a GGUF file or a Hugging Face model folder
     * @param weights how a folder's weights are held in memory (a GGUF file's as stored)
     * @param progress told the fraction loaded (0..1), on the worker thread
     */
    CompletableFuture<ModelInfo> load(Path model, WeightFormat weights, ProgressListener progress);

    /** The loaded model, or null. */
    ModelInfo loadedModel();

    /**
     * Asks the model to answer the conversation's last user message.
     *
     * @param messages the conversation, oldest first; not mutated
     * @param options sampling and context settings
     * @param listener receives text deltas and the end, on the worker thread
     * @return a handle to cancel it; cancel takes effect before the next token
     */
    Generation chat(List<Message> messages, ChatOptions options, ChatListener listener);

    /**
     * Continues a text as it is, without a chat template (OpenAI's completions): the prompt is
     * tokenized as the model's tokenizer does (with its BOS token, if it adds one) and the answer
     * runs in a context just big enough for it, so the chats' KV cache is left as it was.
     *
     * @param prompt the text to continue
     * @param sampling how to pick tokens and when to stop
     * @param logprobs alternatives to report per token through {@link ChatListener#onLogprob}; 0 for none
     * @param listener receives text deltas and the end (with no dropped messages), on the worker thread
     * @return a handle to cancel it; cancel takes effect before the next token
     */
    Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener);

    /** The exact prompt the model would see for these messages, computed on the worker thread. */
    CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options);

    /**
     * What the loaded model attended to when it chose the token after {@code tokens[position]}:
     * each layer's attention from that position, averaged over heads. Computed on the worker thread
     * by running the tokens again (one prefill); generation pays nothing for it. The future fails
     * with {@link UnsupportedOperationException} for a model family that cannot report it, and
     * with {@link IllegalArgumentException} when the tokens are not the loaded model's; a service
     * without an engine of its own (a test's) fails it with {@link UnsupportedOperationException}.
     *
     * @param tokens token ids of the loaded model, at least {@code position + 1}; not mutated
     */
    default CompletableFuture<AttentionMap> attention(int[] tokens, int position) {
        return CompletableFuture.failedFuture(
                new UnsupportedOperationException("this service does not compute attention weights"));
    }

    /** Cancels any generation, stops the worker and frees the model. */
    @Override
    void close();

    /** Fraction of a long task done. */
    @FunctionalInterface
    interface ProgressListener {
        void onProgress(double fraction);
    }

    /**
     * Per-request settings.
     *
     * @param sampling how to pick tokens and when to stop
     * @param contextLimit the most tokens of context to use; 0 means the model's own length
     * @param templateOverride a Jinja chat template to use instead of the model's, or null
     * @param thinking {@code enable_thinking} for a template with that switch, or null for the
     *     template's own default
     * @param logprobs alternatives to report per token through {@link ChatListener#onLogprob}; 0 for none
     * @param answerPrefix empty for a new answer; else the first tokens of the answer to continue
     *     (a branch of it: {@link dev.parlance.chat.TokenTrace#branchAt}), read by exact id after the
     *     generation prompt: the listener gets their text first, then the new text, and the answer's
     *     {@link ChatListener#onTokens} trace starts with them; the answer's length limit counts
     *     them. Only the local engine can; a remote
     *     server's {@link #chat} throws {@link UnsupportedOperationException}.
     */
    record ChatOptions(SamplingConfig sampling, int contextLimit, String templateOverride, Boolean thinking,
            int logprobs, List<TokenLogprob> answerPrefix) {
        public ChatOptions {
            answerPrefix = List.copyOf(answerPrefix);
        }

        /** Options for a new answer (no prefix). */
        public ChatOptions(SamplingConfig sampling, int contextLimit, String templateOverride, Boolean thinking,
                int logprobs) {
            this(sampling, contextLimit, templateOverride, thinking, logprobs, List.of());
        }

        /** Options that leave the thinking switch at the template's default, without log-probabilities. */
        public ChatOptions(SamplingConfig sampling, int contextLimit, String templateOverride) {
            this(sampling, contextLimit, templateOverride, null, 0);
        }

        /** Options without log-probabilities. */
        public ChatOptions(SamplingConfig sampling, int contextLimit, String templateOverride, Boolean thinking) {
            this(sampling, contextLimit, templateOverride, thinking, 0);
        }

        /** These options continuing an answer from its first tokens (see {@code answerPrefix}). */
        public ChatOptions continuing(List<TokenLogprob> prefix) {
            return new ChatOptions(sampling, contextLimit, templateOverride, thinking, logprobs, prefix);
        }
    }
}
