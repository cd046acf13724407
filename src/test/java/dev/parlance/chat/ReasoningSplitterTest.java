package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReasoningSplitterTest {

    private static ReasoningSplitter feed(ReasoningSplitter splitter, String... deltas) {
        for (String d : deltas) {
            splitter.accept(d);
        }
        splitter.finish();
        return splitter;
    }

    @Test
    void separatesAThinkBlockFromTheAnswer() {
        ReasoningSplitter s = feed(new ReasoningSplitter(false), "<think>\nLet me add.\n</think>\n\nIt is 4.");

        assertThat(s.reasoning()).isEqualTo("Let me add.");
        assertThat(s.answer()).isEqualTo("It is 4.");
    }

    @Test
    void handlesTagsSplitAcrossDeltas() {
        ReasoningSplitter s = feed(new ReasoningSplitter(false),
                "<th", "ink>", "Two plus", " two.</", "thi", "nk>", "\n", "Four", ".");

        assertThat(s.reasoning()).isEqualTo("Two plus two.");
        assertThat(s.answer()).isEqualTo("Four.");
    }

    @Test
    void splitsEveryCharacterAsItsOwnDelta() {
        String text = "<think>abc</think>xyz";
        ReasoningSplitter s = new ReasoningSplitter(false);
        for (char c : text.toCharArray()) {
            s.accept(String.valueOf(c));
        }
        s.finish();

        assertThat(s.reasoning()).isEqualTo("abc");
        assertThat(s.answer()).isEqualTo("xyz");
    }

    @Test
    void givesTheSameResultHoweverTheTextIsCut() {
        String text = " <think>\nplan: a < b </thin> c\n</think>\n\nAnswer </think> too";
        ReasoningSplitter whole = feed(new ReasoningSplitter(false), text);
        for (int i = 0; i <= text.length(); i++) {
            for (int j = i; j <= text.length(); j++) {
                ReasoningSplitter cut = feed(new ReasoningSplitter(false),
                        text.substring(0, i), text.substring(i, j), text.substring(j));
                assertThat(cut.reasoning()).as("cut at %d and %d", i, j).isEqualTo(whole.reasoning());
                assertThat(cut.answer()).as("cut at %d and %d", i, j).isEqualTo(whole.answer());
            }
        }
        assertThat(whole.reasoning()).isEqualTo("plan: a < b </thin> c");
        assertThat(whole.answer()).isEqualTo("Answer </think> too");
    }

    @Test
    void startsInsideReasoningWhenThePromptOpenedThink() {
        ReasoningSplitter s = ReasoningSplitter.forPrompt("<｜User｜>Hi<｜Assistant｜><think>\n");
        feed(s, "Greeting.", "</think>", "Hello!");

        assertThat(s.reasoning()).isEqualTo("Greeting.");
        assertThat(s.answer()).isEqualTo("Hello!");
    }

    @Test
    void startsOutsideReasoningWhenThePromptClosedThink() {
        ReasoningSplitter s = ReasoningSplitter.forPrompt("<|im_start|>assistant\n<think>\n\n</think>\n\n");
        feed(s, "Hello!");

        assertThat(s.reasoning()).isEmpty();
        assertThat(s.answer()).isEqualTo("Hello!");
    }

    @Test
    void passesAnAnswerWithoutReasoningThroughUnchanged() {
        ReasoningSplitter s = feed(new ReasoningSplitter(false), "  Hello", " <b>world</b> <think>?");

        assertThat(s.reasoning()).isEmpty();
        assertThat(s.answer()).isEqualTo("  Hello <b>world</b> <think>?");
    }

    @Test
    void releasesAHeldBackPartialTagAtTheEnd() {
        ReasoningSplitter s = new ReasoningSplitter(false);
        assertThat(s.accept("<thi").isEmpty()).isTrue();

        ReasoningSplitter.Delta last = s.finish();

        assertThat(last.answer()).isEqualTo("<thi");
        assertThat(s.answer()).isEqualTo("<thi");
    }

    @Test
    void keepsUnfinishedReasoningWhenTheStreamStops() {
        ReasoningSplitter s = feed(new ReasoningSplitter(true), "still thinking </th");

        assertThat(s.reasoning()).isEqualTo("still thinking </th");
        assertThat(s.answer()).isEmpty();
    }

    @Test
    void keepsWhitespaceInsideTheReasoningWhileDroppingItAtTheEdges() {
        ReasoningSplitter s = feed(new ReasoningSplitter(false),
                "<think>\n", "one ", " \n", "two", "\n\n", "</think>", "\n\nok");

        assertThat(s.reasoning()).isEqualTo("one  \ntwo");
        assertThat(s.answer()).isEqualTo("ok");
    }

    @Test
    void reportsEachDeltaContribution() {
        ReasoningSplitter s = new ReasoningSplitter(false);
        List<ReasoningSplitter.Delta> deltas = List.of(
                s.accept("<think>plan"), s.accept("</think>done"));

        assertThat(deltas).containsExactly(
                new ReasoningSplitter.Delta("plan", ""), new ReasoningSplitter.Delta("", "done"));
    }
}
