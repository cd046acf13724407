package dev.parlance.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.SharedData;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingDecoderTest {
    private static final String TEXT = "Hi 你好，世界 🙂👍🏽 done";

    @TempDir
    Path dir;

    private static List<String> stream(TextTokenizer tokenizer, int[] ids, int[] context) {
        var decoder = new StreamingDecoder(tokenizer, context);
        List<String> deltas = new ArrayList<>();
        for (int id : ids) {
            deltas.add(decoder.next(id));
        }
        deltas.add(decoder.finish());
        return deltas;
    }

    @Test
    void byteLevelTokensOfChineseAndEmojiNeverShowAReplacementCharacter() throws Exception {
        SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 1);
        try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
            int[] ids = tokenizer.encodeRaw(TEXT);
            assertThat(ids.length).as("one token per byte").isEqualTo(TEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            List<String> deltas = stream(tokenizer, ids, new int[0]);
            assertThat(deltas).noneMatch(d -> d.contains("\uFFFD"));
            assertThat(String.join("", deltas)).isEqualTo(TEXT);
        }
    }

    @Test
    void byteFallbackTokensOfChineseAndEmojiNeverShowAReplacementCharacter() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        try (TextTokenizer tokenizer = TextTokenizer.load(folder)) {
            int[] prompt = tokenizer.encode("Once upon a time");
            int[] ids = tokenizer.encodeRaw(TEXT); // SentencePiece prepends the word-start space itself
            List<String> deltas = stream(tokenizer, ids, prompt);
            assertThat(deltas).noneMatch(d -> d.contains("\uFFFD"));
            assertThat(String.join("", deltas)).isEqualTo(" " + TEXT);
        }
    }

    @Test
    void specialTokensAreSkipped() throws Exception {
        SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 1);
        try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
            int[] ids = tokenizer.encodeRaw("ok<|im_end|>");
            assertThat(String.join("", stream(tokenizer, ids, new int[0]))).isEqualTo("ok");
        }
    }
}
