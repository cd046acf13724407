package dev.parlance.ui.chat.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.Headless;
import dev.parlance.ui.ViewLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javafx.beans.property.SimpleStringProperty;
import javafx.event.Event;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/** The alternatives of a kept token as buttons that continue the answer, or disabled with the reason. */
@Tag("ui")
class TokenViewBranchingTest {
    static {
        Headless.configure();
    }

    private final SimpleStringProperty blocked = new SimpleStringProperty("");
    private final List<int[]> taken = new ArrayList<>();

    @BeforeAll
    static void startToolkit() throws Exception {
        FxToolkit.registerPrimaryStage();
    }

    private static <T> T onFx(Callable<T> work) throws Exception {
        return WaitForAsyncUtils.asyncFx(work).get();
    }

    /** A token view of "Hel", "lo", " world" with "lo" kept shown. */
    private TokenView viewKeepingTheSecondToken() throws Exception {
        return onFx(() -> {
            var view = new TokenView(ViewLoader.bundle(Locale.ENGLISH), index -> null, blocked,
                    (index, id) -> taken.add(new int[] {index, id}));
            new Scene(view, 600, 400);
            view.show(FakeInferenceService.traceOf(List.of("Hel", "lo", " world")));
            Node chip = view.lookupAll(".token-flow .token").stream().skip(1).findFirst().orElseThrow();
            Event.fireEvent(chip, new MouseEvent(MouseEvent.MOUSE_CLICKED, 0, 0, 0, 0, MouseButton.PRIMARY, 1,
                    false, false, false, false, true, false, false, true, false, false, null));
            return view;
        });
    }

    private static List<Button> alternatives(TokenView view) {
        return view.lookupAll(".token-alternative").stream().map(Button.class::cast).toList();
    }

    @Test
    void eachAlternativeIsAButtonThatContinuesTheAnswerWithIt() throws Exception {
        TokenView view = viewKeepingTheSecondToken();
        List<Button> buttons = alternatives(view);

        assertThat(buttons).hasSize(3).allSatisfy(b -> {
            assertThat(b.isDisabled()).isFalse();
            assertThat(b.isFocusTraversable()).isTrue();
            assertThat(b.getTooltip().getText()).isEqualTo("Continue the answer with this token");
        });
        assertThat(buttons.get(0).getAccessibleText()).isEqualTo("Continue the answer with “lo” (70.0%)");
        onFx(() -> {
            buttons.get(1).fire();
            return null;
        });
        assertThat(taken).containsExactly(new int[] {1, 1});
    }

    @Test
    void whileTheyCannotBeTakenTheAlternativesAreDisabledAndSayWhy() throws Exception {
        TokenView view = viewKeepingTheSecondToken();
        String reason = "An answer is being written: wait for it or stop it to continue from a token.";

        onFx(() -> {
            blocked.set(reason);
            return null;
        });

        assertThat(alternatives(view)).hasSize(3).allSatisfy(b -> assertThat(b.isDisabled()).isTrue());
        assertThat(view.lookupAll(".token-branch-blocked")).singleElement()
                .satisfies(label -> assertThat(((Label) label).getText()).isEqualTo(reason));
        onFx(() -> {
            blocked.set("");
            return null;
        });
        assertThat(alternatives(view)).allSatisfy(b -> assertThat(b.isDisabled()).isFalse());
        assertThat(view.lookupAll(".token-branch-blocked")).isEmpty();
    }

    @Test
    void anAnswerWithoutTokensSaysWhyItHasNone() throws Exception {
        TokenView view = onFx(() -> new TokenView(ViewLoader.bundle(Locale.ENGLISH), index -> null, blocked,
                (index, id) -> { }));

        assertThat(view.lookupAll(".token-details .label").stream().map(n -> ((Label) n).getText()))
                .anySatisfy(text -> assertThat(text).contains("were not kept"));
    }
}
