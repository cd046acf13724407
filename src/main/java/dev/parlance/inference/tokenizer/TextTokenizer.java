package dev.parlance.inference.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import dev.parlance.inference.ModelLoadException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's tokenizer: DJL's Hugging Face tokenizer loaded from the folder's {@code tokenizer.json}
 * (never by name, so nothing is fetched) or built from a GGUF file's metadata, with truncation and
 * padding off (DJL otherwise cuts every input to 512 tokens), and BOS handling as
 * {@code tokenizer_config.json} (or the GGUF metadata) says.
 */
public final class TextTokenizer implements AutoCloseable {
    private static final Map<String, String> OPTIONS =
            Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true");

    private final HuggingFaceTokenizer tokenizer;
    private final String bosToken;
    private final int bosId;
    private final Boolean addBosToken;
    private final Set<Integer> specialIds;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, String bosToken, int bosId, Boolean addBosToken,
            Set<Integer> specialIds) {
        this.tokenizer = tokenizer;
        this.bosToken = bosToken;
        this.bosId = bosId;
        this.addBosToken = addBosToken;
        this.specialIds = specialIds;
    }

    /** Loads {@code tokenizer.json} and reads {@code tokenizer_config.json} if present. */
    public static TextTokenizer load(Path folder) throws ModelLoadException {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file, "missing tokenizer.json (the model folder needs the tokenizer "
                    + "in the Hugging Face tokenizers format)");
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file, "cannot read the tokenizer: " + e.getMessage(), e);
        }
        String bosToken = null;
        Boolean addBos = null;
        Path configFile = folder.resolve("tokenizer_config.json");
        if (Files.isRegularFile(configFile)) {
            try {
                JsonObject config = JsonParser.parseString(Files.readString(configFile)).getAsJsonObject();
                bosToken = tokenText(config.get("bos_token"));
                if (config.has("add_bos_token") && !config.get("add_bos_token").isJsonNull()) {
                    addBos = config.get("add_bos_token").getAsBoolean();
                }
            } catch (IOException | RuntimeException e) {
                tokenizer.close();
                throw new ModelLoadException(configFile, switch (e) {
                    case IOException io -> "cannot read: " + io.getMessage();
                    case JsonParseException json -> ModelLoadException.jsonProblem(json);
                    default -> "not an object with a usable bos_token and add_bos_token";
                }, e);
            }
        }
        int bosId = -1;
        if (bosToken != null) {
            long[] ids = tokenizer.encode(bosToken, false, false).getIds();
            bosId = ids.length == 1 ? (int) ids[0] : -1;
        }
        return new TextTokenizer(tokenizer, bosToken, bosId, addBos, specialIds(file));
    }

    /**
     * The tokenizer that a GGUF file's {@code tokenizer.ggml.*} metadata describes (see
     * {@link GgufTokenizerJson}), loaded like {@link #load}: BOS from {@code bos_token_id} and
     * {@code add_bos_token}, special ids = the unknown and control tokens.
     *
     * @param metadata the file's key/value pairs, as the GGUF reader gives them; not modified
     * @param file the GGUF file, named in errors
     */
    public static TextTokenizer fromGguf(Map<String, Object> metadata, Path file) throws ModelLoadException {
        JsonObject json;
        List<String> tokens;
        int bosId = -1;
        Boolean addBos = null;
        try {
            json = GgufTokenizerJson.build(metadata);
            tokens = GgufTokenizerJson.strings(metadata, "tokenizer.ggml.tokens");
            if (metadata.containsKey("tokenizer.ggml.bos_token_id")) {
                bosId = GgufTokenizerJson.tokenId(metadata, "tokenizer.ggml.bos_token_id", tokens.size());
            }
            if (metadata.containsKey("tokenizer.ggml.add_bos_token")) {
                addBos = GgufTokenizerJson.bool(metadata, "tokenizer.ggml.add_bos_token");
            } else if ("llama".equals(metadata.get("tokenizer.ggml.model"))) {
                addBos = true; // llama.cpp's default for SentencePiece files written without the key
            }
        } catch (ModelLoadException e) {
            throw new ModelLoadException(file, e.getMessage(), e);
        }
        HuggingFaceTokenizer tokenizer;
        byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            tokenizer = HuggingFaceTokenizer.newInstance(in, OPTIONS);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file, "cannot build the tokenizer from the file's tokenizer metadata: "
                    + e.getMessage(), e);
        }
        String bosToken = bosId < 0 ? null : tokens.get(bosId);
        return new TextTokenizer(tokenizer, bosToken, bosId, addBos, specialIds(json.getAsJsonArray("added_tokens")));
    }

    /** Ids of the added tokens that {@code tokenizer.json} marks special (control tokens). */
    private static Set<Integer> specialIds(Path file) throws ModelLoadException {
        try (JsonReader reader = new JsonReader(Files.newBufferedReader(file))) {
            reader.beginObject();
            while (reader.hasNext()) {
                if (reader.nextName().equals("added_tokens")) {
                    return specialIds(JsonParser.parseReader(reader).getAsJsonArray());
                }
                reader.skipValue();
            }
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(file, "cannot read the tokenizer's added tokens: " + e.getMessage(), e);
        }
        return Set.of();
    }

    private static Set<Integer> specialIds(JsonArray addedTokens) {
        Set<Integer> ids = new HashSet<>();
        for (JsonElement token : addedTokens) {
            JsonObject entry = token.getAsJsonObject();
            if (entry.has("special") && entry.get("special").getAsBoolean()) {
                ids.add(entry.get("id").getAsInt());
            }
        }
        return Set.copyOf(ids);
    }

    /** Whether {@code id} is a special (control) token such as BOS or an end-of-turn marker. */
    public boolean isSpecial(int id) {
        return specialIds.contains(id);
    }

    /** A special token as {@code tokenizer_config.json} writes it: a string or {@code {"content": ...}}. */
    public static String tokenText(JsonElement element) {
        if (element == null || element.isJsonNull()) {
            return null;
        }
        if (element.isJsonObject()) {
            JsonElement content = element.getAsJsonObject().get("content");
            return content == null || content.isJsonNull() ? null : content.getAsString();
        }
        return element.getAsString();
    }

    /**
     * Token ids of {@code text} with the special tokens the tokenizer adds (BOS for Llama), but
     * never a second BOS when the text (a rendered chat template) already starts with it.
     */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, true, false).getIds();
        int[] result = toInts(ids);
        if (bosId >= 0) {
            boolean startsWithBos = result.length > 0 && result[0] == bosId;
            if (Boolean.TRUE.equals(addBosToken) && !startsWithBos) {
                result = prepend(bosId, result);
            } else if (Boolean.FALSE.equals(addBosToken) && startsWithBos && !text.startsWith(bosToken)) {
                result = java.util.Arrays.copyOfRange(result, 1, result.length);
            }
            if (result.length > 1 && result[0] == bosId && result[1] == bosId) {
                result = java.util.Arrays.copyOfRange(result, 1, result.length);
            }
        }
        return result;
    }

    /** Token ids of {@code text} alone, without any added special token. */
    public int[] encodeRaw(String text) {
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    /** The pieces (token strings) and special-token flags of an encoding of {@code text}. */
    public Encoding encoding(String text) {
        return tokenizer.encode(text, true, false);
    }

    /** Text of {@code ids}; special tokens are left out when {@code skipSpecial}. */
    public String decode(int[] ids, int from, int to, boolean skipSpecial) {
        long[] slice = new long[to - from];
        for (int i = from; i < to; i++) {
            slice[i - from] = ids[i];
        }
        return tokenizer.decode(slice, skipSpecial);
    }

    public String decode(int[] ids, boolean skipSpecial) {
        return decode(ids, 0, ids.length, skipSpecial);
    }

    /** The BOS id, or -1. */
    public int bosId() {
        return bosId;
    }

    private static int[] toInts(long[] ids) {
        int[] result = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            result[i] = Math.toIntExact(ids[i]);
        }
        return result;
    }

    private static int[] prepend(int first, int[] rest) {
        int[] result = new int[rest.length + 1];
        result[0] = first;
        System.arraycopy(rest, 0, result, 1, rest.length);
        return result;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
