package dev.parlance.ui;

import java.util.ArrayList;
import java.util.List;
import javafx.scene.text.Text;

/**
 * A search snippet as the store gives it, the matched words wrapped in {@code [[ ]]}, turned into
 * text nodes with the matches styled {@code .search-match}.
 */
public final class SearchSnippet {
    private static final String OPEN = "[[";
    private static final String CLOSE = "]]";

    private SearchSnippet() {}

    /** The snippet's pieces in order; line breaks become spaces, so that a snippet reads as one passage. */
    public static List<Text> texts(String snippet) {
        List<Text> texts = new ArrayList<>();
        String s = snippet.replaceAll("\\s+", " ").strip();
        int at = 0;
        while (at < s.length()) {
            int open = s.indexOf(OPEN, at);
            int close = open < 0 ? -1 : s.indexOf(CLOSE, open + OPEN.length());
            if (close < 0) {
                texts.add(piece(s.substring(at), false));
                break;
            }
            if (open > at) {
                texts.add(piece(s.substring(at, open), false));
            }
            texts.add(piece(s.substring(open + OPEN.length(), close), true));
            at = close + CLOSE.length();
        }
        return texts;
    }

    /** The snippet without its markers. */
    public static String plain(String snippet) {
        return snippet.replace(OPEN, "").replace(CLOSE, "").replaceAll("\\s+", " ").strip();
    }

    /** The first matched words, or empty. */
    public static String firstMatch(String snippet) {
        int open = snippet.indexOf(OPEN);
        int close = open < 0 ? -1 : snippet.indexOf(CLOSE, open + OPEN.length());
        return close < 0 ? "" : snippet.substring(open + OPEN.length(), close);
    }

    private static Text piece(String text, boolean match) {
        var piece = new Text(text);
        piece.getStyleClass().add(match ? "search-match" : "search-context");
        return piece;
    }
}
