package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void aStopStringSplitAcrossDeltasIsNeverPartlyEmitted() {
        var stops = new StopStrings(List.of("\nUser:"));
        var out = new StringBuilder();
        for (String delta : List.of("Hello", " there", "\nUs", "er", ": more")) {
            out.append(stops.accept(delta));
        }
        assertThat(out.toString()).isEqualTo("Hello there");
        assertThat(stops.stopped()).isTrue();
    }

    @Test
    void heldBackTextThatWasNotAStopIsReleased() {
        var stops = new StopStrings(List.of("</s>"));
        assertThat(stops.accept("a <")).isEqualTo("a ");
        assertThat(stops.accept("b")).isEqualTo("<b");
        assertThat(stops.accept(" <")).isEqualTo(" ");
        assertThat(stops.flush()).isEqualTo("<");
        assertThat(stops.stopped()).isFalse();
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        var stops = new StopStrings(List.of("END", "ST"));
        assertThat(stops.accept("a STOP then END")).isEqualTo("a ");
    }
}
