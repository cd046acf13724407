package dev.parlance.inference.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.json} (Hugging Face tokenizers format) that a GGUF file's
 * {@code tokenizer.ggml.*} metadata describes, as transformers' GGUF conversion builds it
 * ({@code integrations/gguf/gguf_tokenizer_mapping.py}, {@code generate_merges}) and llama.cpp
 * tokenizes ({@code llama-vocab.cpp}).
 *
 * <p>Two tokenizer models are supported. {@code "gpt2"}: byte-level BPE whose vocabulary and
 * merges are in the file and whose pre-tokenizer is named by {@code tokenizer.ggml.pre}.
 * {@code "llama"}: SentencePiece BPE with byte fallback, whose merges are recovered from the
 * pieces' scores. Where transformers and llama.cpp differ (a SentencePiece text starting with
 * spaces, or text right after a special token), this follows llama.cpp and the models' own
 * {@code tokenizer.json}: the prefix space is a normalizer, applied to every stretch of text
 * between special tokens. No post-processor adds BOS: {@link TextTokenizer} does that.
 */
public final class GgufTokenizerJson {
    private static final String SPACE_PIECE = "\u2581";

    private static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** llama.cpp's token types ({@code llama_token_type}), in the order of their numbers. */
    private enum TokenType {
        UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

        /** Matched whole in the raw text, before the pre-tokenizer and the model see it. */
        boolean added() {
            return this == UNKNOWN || this == CONTROL || this == USER_DEFINED;
        }

        /** User-defined tokens are matched whole too, but they are text, not control tokens. */
        boolean special() {
            return this == UNKNOWN || this == CONTROL;
        }
    }

    private GgufTokenizerJson() {}

    /**
     * Builds the tokenizer.json object.
     *
     * @param metadata the GGUF key/value pairs (integers as Long, floats as Float or Double,
     *     strings, arrays as lists); not modified
     * @throws ModelLoadException (without a file) when the tokenizer model or pre-tokenizer is not
     *     supported or a required key is missing or has the wrong type
     */
    public static JsonObject build(Map<String, Object> metadata) throws ModelLoadException {
        String model = string(metadata, "tokenizer.ggml.model");
        List<String> tokens = strings(metadata, "tokenizer.ggml.tokens");
        List<TokenType> types = tokenTypes(metadata, tokens.size());
        JsonObject json = new JsonObject();
        json.addProperty("version", "1.0");
        json.add("truncation", JsonNull.INSTANCE);
        json.add("padding", JsonNull.INSTANCE);
        json.add("added_tokens", addedTokens(tokens, types));
        json.add("post_processor", JsonNull.INSTANCE);
        switch (model) {
            case "gpt2" -> byteLevel(json, metadata, tokens, types);
            case "llama" -> sentencePiece(json, metadata, tokens, types);
            default -> throw new ModelLoadException(null, "the tokenizer model \"" + model
                    + "\" (tokenizer.ggml.model) is not supported; supported are \"gpt2\" (byte-level BPE) "
                    + "and \"llama\" (SentencePiece BPE)");
        }
        return json;
    }

    /** Byte-level BPE: GPT-2, Llama 3, Qwen2, SmolLM and the like. */
    private static void byteLevel(JsonObject json, Map<String, Object> metadata, List<String> tokens,
            List<TokenType> types) throws ModelLoadException {
        String pre = metadata.containsKey("tokenizer.ggml.pre") ? string(metadata, "tokenizer.ggml.pre") : "default";
        boolean ignoreMerges = false;
        json.add("normalizer", JsonNull.INSTANCE);
        switch (pre) {
            case "default", "gpt-2" -> json.add("pre_tokenizer", byteLevelStep(true));
            case "qwen2" -> {
                json.add("normalizer", typed("NFC")); // as Qwen2's tokenizer.json; llama.cpp does not normalize
                json.add("pre_tokenizer", sequence("pretokenizers", split(QWEN2_SPLIT), byteLevelStep(false)));
            }
            case "llama-bpe", "llama3", "llama-v3" -> {
                json.add("pre_tokenizer", sequence("pretokenizers", split(LLAMA3_SPLIT), byteLevelStep(false)));
                ignoreMerges = true; // as llama.cpp and Llama 3's tokenizer.json: a word that is a token stays whole
            }
            case "smollm" -> {
                JsonObject digits = typed("Digits");
                digits.addProperty("individual_digits", true);
                json.add("pre_tokenizer", sequence("pretokenizers", digits, byteLevelStep(true)));
            }
            default -> throw new ModelLoadException(null, "the pre-tokenizer \"" + pre
                    + "\" (tokenizer.ggml.pre) is not supported; supported are gpt-2, default, qwen2, "
                    + "llama-bpe, llama3, llama-v3 and smollm");
        }
        JsonObject vocab = new JsonObject();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            String key = types.get(id).added() ? token : byteLevelSpelling(token);
            if (!vocab.has(key)) {
                vocab.addProperty(key, id);
            }
        }
        JsonArray merges = new JsonArray();
        if (metadata.containsKey("tokenizer.ggml.merges")) {
            strings(metadata, "tokenizer.ggml.merges").forEach(merges::add);
        }
        JsonObject bpe = bpe(vocab, merges, null, false);
        bpe.addProperty("ignore_merges", ignoreMerges);
        json.add("model", bpe);
        json.add("decoder", byteLevelStep(true));
    }

    /**
     * {@code token} in GPT-2's byte-to-character alphabet, in which every byte-level vocabulary is
     * written: as it is when it already is (the usual case), else its UTF-8 bytes spelled out, as
     * transformers does for the odd token that a converter stored as plain text. Added tokens keep
     * their text instead: the tokenizer finds an added token's id by looking its text up.
     */
    private static String byteLevelSpelling(String token) {
        if (token.chars().allMatch(GgufTokenizerJson::isByteLevelChar)) {
            return token;
        }
        StringBuilder spelled = new StringBuilder();
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            spelled.append(byteLevelChar(b & 0xFF));
        }
        return spelled.toString();
    }

    /**
     * GPT-2's {@code bytes_to_unicode}: the 188 printable Latin-1 bytes stand for themselves, the
     * other 68 for U+0100 to U+0143, in byte order.
     */
    private static char byteLevelChar(int b) {
        if (isPrintableLatin1(b)) {
            return (char) b;
        }
        int before = 0;
        for (int other = 0; other < b; other++) {
            before += isPrintableLatin1(other) ? 0 : 1;
        }
        return (char) (0x100 + before);
    }

    private static boolean isByteLevelChar(int c) {
        return c < 0x100 ? isPrintableLatin1(c) : c < 0x100 + 68;
    }

    private static boolean isPrintableLatin1(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** SentencePiece BPE (Llama 1/2, Mistral, TinyLlama, llama2.c's stories models). */
    private static void sentencePiece(JsonObject json, Map<String, Object> metadata, List<String> tokens,
            List<TokenType> types) throws ModelLoadException {
        List<Float> scores = floats(metadata, "tokenizer.ggml.scores", tokens.size());
        boolean spacePrefix = !metadata.containsKey("tokenizer.ggml.add_space_prefix")
                || bool(metadata, "tokenizer.ggml.add_space_prefix");
        JsonObject replaceSpaces = typed("Replace");
        replaceSpaces.add("pattern", stringPattern(" "));
        replaceSpaces.addProperty("content", SPACE_PIECE);
        if (spacePrefix) {
            JsonObject prepend = typed("Prepend");
            prepend.addProperty("prepend", SPACE_PIECE);
            json.add("normalizer", sequence("normalizers", prepend, replaceSpaces));
        } else {
            json.add("normalizer", replaceSpaces);
        }
        json.add("pre_tokenizer", JsonNull.INSTANCE);

        JsonObject vocab = new JsonObject();
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (ids.putIfAbsent(tokens.get(id), id) == null) {
                vocab.addProperty(tokens.get(id), id);
            }
        }
        String unk = unknownToken(metadata, tokens, types);
        json.add("model", bpe(vocab, scoreMerges(tokens, types, scores, ids), unk, true));

        JsonObject spaces = typed("Replace");
        spaces.add("pattern", stringPattern(SPACE_PIECE));
        spaces.addProperty("content", " ");
        List<JsonObject> decoders = new ArrayList<>(List.of(spaces, typed("ByteFallback"), typed("Fuse")));
        if (spacePrefix) {
            JsonObject strip = typed("Strip");
            strip.addProperty("content", " ");
            strip.addProperty("start", 1);
            strip.addProperty("stop", 0);
            decoders.add(strip);
        }
        json.add("decoder", sequence("decoders", decoders.toArray(JsonObject[]::new)));
    }

    /**
     * The merges a SentencePiece BPE vocabulary implies, as transformers' {@code generate_merges}
     * derives them: every split of a piece into two pieces of the vocabulary, best score first
     * (ties: longer left part, then longer right part, then vocabulary order). SentencePiece merges
     * the adjacent pair whose merged piece scores highest, so this rank order reproduces it. Only
     * normal pieces take part: control, byte and user-defined pieces are never the result of a merge.
     */
    private static JsonArray scoreMerges(List<String> tokens, List<TokenType> types, List<Float> scores,
            Map<String, Integer> ids) {
        record Merge(String left, String right, float score, int leftLength, int rightLength) {}
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            String piece = tokens.get(id);
            if (types.get(id) != TokenType.NORMAL || ids.get(piece) != id) {
                continue;
            }
            List<Merge> local = new ArrayList<>();
            int codePoints = piece.codePointCount(0, piece.length());
            for (int split = 1; split < codePoints; split++) {
                int at = piece.offsetByCodePoints(0, split);
                String left = piece.substring(0, at);
                String right = piece.substring(at);
                if (isNormal(left, ids, types) && isNormal(right, ids, types)) {
                    local.add(new Merge(left, right, scores.get(id), split, codePoints - split));
                }
            }
            local.sort(Comparator.comparingInt((Merge m) -> ids.get(m.left()))
                    .thenComparingInt(m -> ids.get(m.right())));
            merges.addAll(local);
        }
        merges.sort(Comparator.comparingDouble(Merge::score).thenComparingInt(Merge::leftLength)
                .thenComparingInt(Merge::rightLength).reversed());
        JsonArray json = new JsonArray();
        for (Merge merge : merges) {
            JsonArray pair = new JsonArray();
            pair.add(merge.left());
            pair.add(merge.right());
            json.add(pair);
        }
        return json;
    }

    private static boolean isNormal(String piece, Map<String, Integer> ids, List<TokenType> types) {
        Integer id = ids.get(piece);
        return id != null && types.get(id) == TokenType.NORMAL;
    }

    private static String unknownToken(Map<String, Object> metadata, List<String> tokens, List<TokenType> types)
            throws ModelLoadException {
        if (metadata.containsKey("tokenizer.ggml.unknown_token_id")) {
            return tokens.get(tokenId(metadata, "tokenizer.ggml.unknown_token_id", tokens.size()));
        }
        int id = types.indexOf(TokenType.UNKNOWN);
        return id < 0 ? null : tokens.get(id);
    }

    /** Unknown, control and user-defined tokens, matched whole in the raw text before anything else. */
    private static JsonArray addedTokens(List<String> tokens, List<TokenType> types) {
        JsonArray added = new JsonArray();
        for (int id = 0; id < tokens.size(); id++) {
            TokenType type = types.get(id);
            if (type.added()) {
                JsonObject token = new JsonObject();
                token.addProperty("id", id);
                token.addProperty("content", tokens.get(id));
                token.addProperty("single_word", false);
                token.addProperty("lstrip", false);
                token.addProperty("rstrip", false);
                token.addProperty("normalized", false);
                token.addProperty("special", type.special());
                added.add(token);
            }
        }
        return added;
    }

    private static JsonObject bpe(JsonObject vocab, JsonArray merges, String unk, boolean byteFallback) {
        JsonObject bpe = typed("BPE");
        bpe.add("dropout", JsonNull.INSTANCE);
        if (unk == null) {
            bpe.add("unk_token", JsonNull.INSTANCE);
        } else {
            bpe.addProperty("unk_token", unk);
        }
        bpe.add("continuing_subword_prefix", JsonNull.INSTANCE);
        bpe.add("end_of_word_suffix", JsonNull.INSTANCE);
        bpe.addProperty("fuse_unk", byteFallback);
        bpe.addProperty("byte_fallback", byteFallback);
        bpe.add("vocab", vocab);
        bpe.add("merges", merges);
        return bpe;
    }

    /** GPT-2's byte-to-character step, with GPT-2's own split regex when {@code gpt2Regex}. */
    private static JsonObject byteLevelStep(boolean gpt2Regex) {
        JsonObject step = typed("ByteLevel");
        step.addProperty("add_prefix_space", false);
        step.addProperty("trim_offsets", true);
        step.addProperty("use_regex", gpt2Regex);
        return step;
    }

    private static JsonObject split(String regex) {
        JsonObject split = typed("Split");
        JsonObject pattern = new JsonObject();
        pattern.addProperty("Regex", regex);
        split.add("pattern", pattern);
        split.addProperty("behavior", "Isolated");
        split.addProperty("invert", false);
        return split;
    }

    private static JsonObject stringPattern(String text) {
        JsonObject pattern = new JsonObject();
        pattern.addProperty("String", text);
        return pattern;
    }

    private static JsonObject sequence(String member, JsonObject... steps) {
        JsonObject sequence = typed("Sequence");
        JsonArray array = new JsonArray();
        for (JsonObject step : steps) {
            array.add(step);
        }
        sequence.add(member, array);
        return sequence;
    }

    private static JsonObject typed(String type) {
        JsonObject object = new JsonObject();
        object.addProperty("type", type);
        return object;
    }

    /** Each token's type; all normal when the file has no {@code tokenizer.ggml.token_type}. */
    private static List<TokenType> tokenTypes(Map<String, Object> metadata, int count) throws ModelLoadException {
        String key = "tokenizer.ggml.token_type";
        if (!metadata.containsKey(key)) {
            return Collections.nCopies(count, TokenType.NORMAL);
        }
        List<?> values = list(metadata, key, count);
        List<TokenType> types = new ArrayList<>(count);
        for (Object value : values) {
            if (!(value instanceof Long type) || type < 0 || type >= TokenType.values().length) {
                throw new ModelLoadException(null, key + " holds " + value + ", which is not a token type (0 to 6)");
            }
            types.add(TokenType.values()[type.intValue()]);
        }
        return types;
    }

    /** A token id key, checked against the vocabulary size. */
    static int tokenId(Map<String, Object> metadata, String key, int vocabularySize) throws ModelLoadException {
        if (!(metadata.get(key) instanceof Long id) || id < 0 || id >= vocabularySize) {
            throw new ModelLoadException(null, key + " is " + metadata.get(key) + ", not a token id below "
                    + vocabularySize);
        }
        return id.intValue();
    }

    static String string(Map<String, Object> metadata, String key) throws ModelLoadException {
        return switch (metadata.get(key)) {
            case String value -> value;
            case null -> throw new ModelLoadException(null, "the tokenizer needs the metadata key " + key
                    + ", which the file lacks");
            default -> throw new ModelLoadException(null, key + " is not a string");
        };
    }

    static boolean bool(Map<String, Object> metadata, String key) throws ModelLoadException {
        if (!(metadata.get(key) instanceof Boolean value)) {
            throw new ModelLoadException(null, key + " is not a boolean");
        }
        return value;
    }

    static List<String> strings(Map<String, Object> metadata, String key) throws ModelLoadException {
        List<?> values = list(metadata, key, -1);
        List<String> strings = new ArrayList<>(values.size());
        for (Object value : values) {
            if (!(value instanceof String string)) {
                throw new ModelLoadException(null, key + " is not an array of strings");
            }
            strings.add(string);
        }
        return strings;
    }

    private static List<Float> floats(Map<String, Object> metadata, String key, int count) throws ModelLoadException {
        List<?> values = list(metadata, key, count);
        List<Float> floats = new ArrayList<>(count);
        for (Object value : values) {
            if (!(value instanceof Number number)) {
                throw new ModelLoadException(null, key + " is not an array of numbers");
            }
            floats.add(number.floatValue());
        }
        return floats;
    }

    /** An array key; with {@code count >= 0}, one value per token. */
    private static List<?> list(Map<String, Object> metadata, String key, int count) throws ModelLoadException {
        return switch (metadata.get(key)) {
            case List<?> values when count >= 0 && values.size() != count -> throw new ModelLoadException(null,
                    key + " has " + values.size() + " entries for " + count + " tokens");
            case List<?> values -> values;
            case null -> throw new ModelLoadException(null, "the tokenizer needs the metadata key " + key
                    + ", which the file lacks");
            default -> throw new ModelLoadException(null, key + " is not an array");
        };
    }
}
