package dev.parlance.ui.chat.tokens;

import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.TokenLogprob;
import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.function.IntFunction;
import javafx.beans.value.ObservableValue;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;

/**
 * An answer token by token, each in a colour that says how likely the model found it (five bands:
 * the theme's plain text for the likeliest, then its success, accent, warning and danger colours).
 * The tokens are {@link Text} nodes in one {@link TextFlow}, which a long answer's thousands of
 * tokens cost far less as than as labels. Hovering a token shows the best
 * alternatives the model had at that step with their probabilities; a click keeps them shown (and
 * hovering other tokens leaves them) until the next click, with a button that opens what the model
 * attended to when it chose that token. Each alternative is a button that continues the answer
 * with it (a new version of the answer, from the tokens before it); while that cannot be done, the
 * alternatives are disabled and the reason is shown under them and as their tooltip.
 */
public final class TokenView extends VBox {
    /** Lower bounds of the probability bands {@code token-p4} down to {@code token-p1}; below them, {@code token-p0}. */
    private static final double[] BANDS = {0.9, 0.6, 0.3, 0.1};

    private final ResourceBundle bundle;
    private final IntFunction<AttentionViewModel> attention;
    private final ObservableValue<String> branchBlocked;
    private final Branching branching;
    private final TextFlow tokens = new TextFlow();
    private final VBox details = new VBox(4);
    private TokenTrace shown;
    private List<TokenLogprob> answer = List.of();
    private int pinned = -1;
    private int shownIndex = -1;

    /** Continues the answer shown with another token at one of its steps. */
    @FunctionalInterface
    public interface Branching {
        /**
         * @param index the answer token to replace (0-based)
         * @param alternativeId one of that token's alternatives
         */
        void continueWith(int index, int alternativeId);
    }

    /**
     * @param bundle the current language's strings
     * @param attention starts computing the attention behind answer token i of the answer shown
     * @param branchBlocked why the alternatives cannot be taken now, as the user reads it; empty when they can
     * @param branching takes an alternative
     */
    public TokenView(ResourceBundle bundle, IntFunction<AttentionViewModel> attention,
            ObservableValue<String> branchBlocked, Branching branching) {
        this.bundle = bundle;
        this.attention = attention;
        this.branchBlocked = branchBlocked;
        this.branching = branching;
        branchBlocked.addListener((obs, was, now) -> showDetails(shownIndex));
        getStyleClass().add("token-view");
        getStylesheets().add(TokenView.class.getResource("tokens.css").toExternalForm());
        setSpacing(6);
        var legend = new HBox(6, new Label(bundle.getString("tokens.legend")));
        legend.setAlignment(Pos.CENTER_LEFT);
        String[] names = {"≥ 90%", "60–90%", "30–60%", "10–30%", "< 10%"};
        for (int band = 4; band >= 0; band--) {
            var swatch = new Label(names[4 - band]);
            swatch.getStyleClass().addAll("token-swatch", "token-p" + band);
            legend.getChildren().add(swatch);
        }
        legend.getStyleClass().add("token-legend");
        tokens.getStyleClass().add("token-flow");
        details.getStyleClass().add("token-details");
        getChildren().addAll(legend, tokens, details);
        showDetails(-1);
    }

    /** Shows an answer's tokens (or nothing for null); the one already shown keeps its chips and pinned token. */
    public void show(TokenTrace trace) {
        if (trace == shown) {
            return;
        }
        shown = trace;
        answer = trace == null ? List.of() : trace.answer();
        pinned = -1;
        Text[] chips = new Text[answer.size()];
        for (int i = 0; i < chips.length; i++) {
            TokenLogprob token = answer.get(i);
            double p = Math.exp(token.logprob());
            var chip = new Text(visible(token.token()));
            chip.getStyleClass().addAll("token", "token-p" + band(p));
            chip.setAccessibleText(token.token() + ", " + percent(p));
            int index = i;
            // a kept token stays shown while the mouse crosses others on its way to the details
            chip.setOnMouseEntered(e -> {
                chip.setUnderline(true);
                if (pinned < 0) {
                    showDetails(index);
                }
            });
            chip.setOnMouseExited(e -> {
                chip.setUnderline(false);
                if (pinned < 0) {
                    showDetails(-1);
                }
            });
            chip.setOnMouseClicked(e -> {
                pinned = pinned == index ? -1 : index;
                showDetails(pinned < 0 ? index : pinned);
            });
            chips[i] = chip;
        }
        tokens.getChildren().setAll(chips);
        showDetails(-1);
    }

    /** The probability band (0 lowest, 4 highest) of a token's probability. */
    static int band(double probability) {
        for (int b = 0; b < BANDS.length; b++) {
            if (probability >= BANDS[b]) {
                return 4 - b;
            }
        }
        return 0;
    }

    /** A probability as the view shows it: one decimal of a percent, or "< 0.1%". */
    public static String percent(double probability) {
        return probability < 0.0005 ? "< 0.1%" : String.format(Locale.ROOT, "%.1f%%", probability * 100);
    }

    /** A token's text with its line breaks and tabs made visible (a line break still breaks the line). */
    static String visible(String token) {
        return token.replace("\r", "").replace("\t", "→").replace("\n", "↵\n");
    }

    private void showDetails(int index) {
        shownIndex = index;
        if (shown == null) {
            var none = new Label(bundle.getString("tokens.none"));
            none.setWrapText(true);
            details.getChildren().setAll(none);
            return;
        }
        if (index < 0 || index >= answer.size()) {
            details.getChildren().setAll(new Label(bundle.getString("tokens.hint")));
            return;
        }
        TokenLogprob token = answer.get(index);
        var title = new Label(MessageFormat.format(bundle.getString("tokens.chosen"), index + 1, answer.size(),
                visible(token.token()), percent(Math.exp(token.logprob()))));
        title.getStyleClass().add("token-title");
        details.getChildren().setAll(title);
        for (TokenLogprob.Alternative alternative : token.top()) {
            double p = Math.exp(alternative.logprob());
            var text = new Label(visible(alternative.token()));
            text.getStyleClass().add("token");
            text.setMinWidth(Region.USE_PREF_SIZE);
            var name = new HBox(text);
            name.setPrefWidth(140);
            name.setMinWidth(Region.USE_PREF_SIZE);
            var bar = new ProgressBar(p);
            bar.setPrefWidth(160);
            var value = new Label(percent(p));
            value.getStyleClass().add("token-probability");
            var row = new HBox(8, name, bar, value);
            row.setAlignment(Pos.CENTER_LEFT);
            details.getChildren().add(alternativeButton(row, index, alternative, alternative.id() == token.id()));
        }
        String blocked = branchBlocked.getValue();
        if (!blocked.isEmpty()) {
            var reason = new Label(blocked);
            reason.setWrapText(true);
            reason.getStyleClass().add("token-branch-blocked");
            details.getChildren().add(reason);
        }
        var show = new Button(bundle.getString("tokens.attention"));
        show.getStyleClass().addAll("small", "token-attention");
        show.setOnAction(e -> new AttentionDialog(attention.apply(index), bundle, getScene().getWindow()).show());
        details.getChildren().add(show);
    }

    /**
     * An alternative as a button that continues the answer with it. A disabled control shows no
     * tooltip, so while the alternatives cannot be taken the reason's tooltip sits on a wrapper.
     */
    private Node alternativeButton(HBox row, int index, TokenLogprob.Alternative alternative, boolean chosen) {
        var button = new Button(null, row);
        button.getStyleClass().addAll("flat", "token-alternative");
        if (chosen) {
            button.getStyleClass().add("chosen");
        }
        button.setMaxWidth(Double.MAX_VALUE);
        button.setAlignment(Pos.CENTER_LEFT);
        button.setAccessibleText(MessageFormat.format(bundle.getString("tokens.continue.accessible"),
                alternative.token(), percent(Math.exp(alternative.logprob()))));
        button.setOnAction(e -> branching.continueWith(index, alternative.id()));
        String blocked = branchBlocked.getValue();
        button.setDisable(!blocked.isEmpty());
        var wrapper = new StackPane(button);
        wrapper.setAlignment(Pos.CENTER_LEFT);
        if (blocked.isEmpty()) {
            button.setTooltip(new Tooltip(bundle.getString("tokens.continue")));
        } else {
            Tooltip.install(wrapper, new Tooltip(blocked));
        }
        return wrapper;
    }
}
