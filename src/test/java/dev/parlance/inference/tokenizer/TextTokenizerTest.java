package dev.parlance.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.SharedData;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void longInputsAreNeverTruncated() throws Exception {
        SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 1);
        try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
            assertThat(tokenizer.encode("x".repeat(3000))).hasSize(3000);
        }
    }

    @Test
    void aPromptThatAlreadyStartsWithBosGetsNoSecondOne() throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.load(SharedData.require("models/stories260K"))) {
            int[] plain = tokenizer.encode("Once upon a time");
            int[] rendered = tokenizer.encode("<s>Once upon a time");
            assertThat(plain[0]).isEqualTo(1);
            assertThat(rendered[0]).isEqualTo(1);
            assertThat(rendered[1]).isNotEqualTo(1);
        }
    }

    @Test
    void specialTokensAreKnownById() throws Exception {
        SyntheticModel.write(dir, SyntheticModel.Shape.TINY, SafeTensors.DType.F32, 1, 1);
        try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
            int[] ids = tokenizer.encodeRaw("<|im_start|>a");
            assertThat(ids).hasSize(2);
            assertThat(tokenizer.isSpecial(ids[0])).isTrue();
            assertThat(tokenizer.isSpecial(ids[1])).isFalse();
        }
    }
}
