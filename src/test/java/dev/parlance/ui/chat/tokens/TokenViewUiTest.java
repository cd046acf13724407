package dev.parlance.ui.chat.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.inference.model.KvCache;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.Headless;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.ScriptedDialogs;
import dev.parlance.ui.Theme;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ToggleButton;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.StackPane;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The token view on the real engine over a fixture model (tiny-gemma2, made by
 * {@code make_fixtures.py}): every probability it shows is the softmax of the logits a separate
 * full-sequence forward pass of the same model gives at that step, and the attention view opens
 * over the text the model had read.
 */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class TokenViewUiTest {
    static {
        Headless.configure();
    }

    private static final String FIXTURE = "tiny-gemma2";

    @TempDir Path dir;
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private DjlInferenceService inference;
    private MainWindow window;

    @Start
    void start(Stage stage) throws IOException, URISyntaxException {
        Path source = Path.of(TokenViewUiTest.class.getResource("/fixtures/" + FIXTURE + "/config.json").toURI())
                .getParent();
        Path model = dir.resolve("models/" + FIXTURE);
        Files.createDirectories(model);
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        // the stage is the toolkit's one, which earlier window tests leave small: in 800 x 600 a kept
        // token's alternatives lie below the transcript's visible part
        prefs.setWindowBounds(0, 0, 1280, 800);
        inference = new DjlInferenceService();
        window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> dialogs);
        window.show(stage);
    }

    @AfterEach
    void closeService() {
        inference.close();
    }

    private static void waitUntil(Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    /** A chip's probability as shown: the percent at the end of its accessible text. */
    private static double shownPercent(String accessible) {
        String percent = accessible.substring(accessible.lastIndexOf(", ") + 2);
        return Double.parseDouble(percent.replace("%", "").replace("< ", ""));
    }

    /** Log-softmax of every position's logits, by one forward pass over the whole sequence. */
    private static double[][] logSoftmaxes(Path folder, int[] sequence) throws Exception {
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                KvCache cache = model.network().newCache(sequence.length)) {
            float[] logits = model.network().forward(sequence, cache, true);
            int vocabulary = model.config().vocabSize();
            double[][] result = new double[sequence.length][vocabulary];
            for (int t = 0; t < sequence.length; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocabulary; v++) {
                    max = Math.max(max, logits[t * vocabulary + v]);
                }
                double sum = 0;
                for (int v = 0; v < vocabulary; v++) {
                    sum += Math.exp(logits[t * vocabulary + v] - max);
                }
                for (int v = 0; v < vocabulary; v++) {
                    result[t][v] = logits[t * vocabulary + v] - max - Math.log(sum);
                }
            }
            return result;
        }
    }

    /**
     * A token after the first that sits on one line: a token that wraps onto the next line has
     * bounds whose centre lies over other tokens, so hovering or clicking it would reach those.
     */
    private static int chipOnOneLine(List<Text> chips) {
        double line = chips.stream().mapToDouble(c -> c.getBoundsInLocal().getHeight()).min().orElseThrow();
        return IntStream.range(1, chips.size())
                .filter(i -> chips.get(i).getBoundsInLocal().getHeight() < 1.5 * line
                        && chips.get(i).getBoundsInLocal().getWidth() > 2)
                .findFirst().orElse(0);
    }

    /** Loads the fixture, asks a question and waits for the answer's tokens; shows them. */
    private MessageViewModel answerWithTokens(FxRobot robot) throws TimeoutException {
        waitUntil(() -> robot.lookup(FIXTURE).tryQuery().isPresent());
        robot.clickOn(FIXTURE);
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY);
        ChatViewModel chat = window.viewModel().chat();
        robot.interact(() -> window.viewModel().settings().maxTokensProperty().set(12));
        robot.clickOn("#composer").write("Hello there").type(KeyCode.ENTER);
        waitUntil(() -> chat.getMessages().size() == 2 && chat.getState() == ChatViewModel.State.IDLE);
        MessageViewModel answer = chat.getMessages().get(1);
        waitUntil(() -> answer.getTokens() != null);
        return answer;
    }

    private static List<Text> visibleChips(FxRobot robot) {
        return robot.lookup(".token-flow .token").queryAllAs(Text.class).stream().filter(TokenViewUiTest::shown).toList();
    }

    /** Whether a node and all its parents are visible (the list keeps spare cells around). */
    private static boolean shown(Node node) {
        for (Node n = node; n != null; n = n.getParent()) {
            if (!n.isVisible()) {
                return false;
            }
        }
        return true;
    }

    @Test
    void clickingAnAlternativeWritesANewVersionThatStartsWithTheTokensBeforeItAndIt(FxRobot robot) throws Exception {
        MessageViewModel original = answerWithTokens(robot);
        ChatViewModel chat = window.viewModel().chat();
        TokenTrace trace = original.getTokens();
        robot.clickOn(robot.lookup((Node n) -> n instanceof ToggleButton t && "Tokens".equals(t.getText())
                && shown(t)).queryAs(ToggleButton.class));
        WaitForAsyncUtils.waitForFxEvents();
        List<Text> chips = visibleChips(robot);
        int index = chipOnOneLine(chips);
        robot.clickOn(chips.get(index));   // keeps its alternatives shown
        WaitForAsyncUtils.waitForFxEvents();
        TokenLogprob chosen = trace.answer().get(index);
        int k = IntStream.range(0, chosen.top().size()).filter(i -> chosen.top().get(i).id() != chosen.id())
                .findFirst().orElseThrow();
        TokenLogprob.Alternative other = chosen.top().get(k);
        List<Button> rows = robot.lookup(".token-alternative").queryAllAs(Button.class).stream()
                .filter(TokenViewUiTest::shown).toList();
        assertThat(rows).hasSize(chosen.top().size());
        Button row = rows.get(k);
        assertThat(row.isDisabled()).isFalse();
        assertThat(row.isFocusTraversable()).isTrue();
        assertThat(row.getTooltip().getText()).isEqualTo("Continue the answer with this token");

        robot.clickOn(row);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(chat.getMessages()).as("the click started a new version").hasSize(2).doesNotContain(original);
        waitUntil(() -> chat.getState() != ChatViewModel.State.GENERATING);
        assertThat(chat.errorProperty().get()).isEmpty();
        waitUntil(() -> chat.getMessages().get(1).getTokens() != null);

        MessageViewModel branch = chat.getMessages().get(1);
        List<TokenLogprob> tokens = branch.getTokens().answer();
        assertThat(tokens.subList(0, index)).isEqualTo(trace.answer().subList(0, index));
        assertThat(tokens.get(index).id()).isEqualTo(other.id());
        String prefix = trace.answer().subList(0, index).stream().map(TokenLogprob::token).reduce("", String::concat)
                + other.token();
        assertThat(branch.getText()).startsWith(prefix);
        assertThat(branch.showingTokensProperty().get()).as("the branch shows its tokens, as the answer did").isTrue();
        assertThat(versionLabels(robot)).containsExactly("2/2");

        robot.clickOn(robot.lookup((Node n) -> n instanceof Button b && "‹".equals(b.getText()) && shown(b))
                .queryAs(Button.class));
        waitUntil(() -> chat.getMessages().get(1).getText().equals(original.getText()));
        assertThat(versionLabels(robot)).containsExactly("1/2");
        assertThat(chat.getMessages().get(1).getTokens()).isSameAs(trace);
    }

    private static List<String> versionLabels(FxRobot robot) {
        return robot.lookup(".version-label").queryAllAs(Label.class).stream().filter(TokenViewUiTest::shown)
                .map(Label::getText).toList();
    }

    @Test
    void theTokenViewShowsTheProbabilitiesTheModelGaveAndOpensTheAttention(FxRobot robot) throws Exception {
        TokenTrace trace = answerWithTokens(robot).getTokens();
        assertThat(trace.answer()).isNotEmpty();

        ToggleButton toggle = robot.lookup((Node n) -> n instanceof ToggleButton t && "Tokens".equals(t.getText())
                && t.isVisible()).query();
        robot.clickOn(toggle);
        WaitForAsyncUtils.waitForFxEvents();
        List<Text> chips = robot.lookup(".token-flow .token").queryAllAs(Text.class).stream()
                .filter(Node::isVisible).toList();
        assertThat(chips).hasSize(trace.answer().size());

        int[] sequence = trace.contextOf(trace.answer().size() - 1);
        int[] full = Arrays.copyOf(sequence, sequence.length + 1);
        full[sequence.length] = trace.answer().getLast().id();
        double[][] expected = logSoftmaxes(dir.resolve("models/" + FIXTURE), full);
        for (int i = 0; i < chips.size(); i++) {
            int step = trace.prompt().length + trace.answerStart() + i - 1; // the position whose logits chose it
            int id = trace.answer().get(i).id();
            assertThat(shownPercent(chips.get(i).getAccessibleText())).as("token %d", i)
                    .isCloseTo(100 * Math.exp(expected[step][id]), within(0.051));
        }

        int index = chipOnOneLine(chips);
        robot.moveTo(chips.get(index));
        WaitForAsyncUtils.waitForFxEvents();
        List<Label> shown = robot.lookup(".token-alternative .token-probability").queryAllAs(Label.class).stream()
                .toList();
        List<TokenLogprob.Alternative> alternatives = trace.answer().get(index).top();
        assertThat(shown).hasSize(alternatives.size());
        int step = trace.prompt().length + trace.answerStart() + index - 1;
        double[] row = expected[step];
        Integer[] order = new Integer[row.length];
        for (int v = 0; v < order.length; v++) {
            order[v] = v;
        }
        Arrays.sort(order, (a, b) -> Double.compare(row[b], row[a]));
        for (int k = 0; k < shown.size(); k++) {
            assertThat(alternatives.get(k).id()).isEqualTo(order[k]);
            assertThat(shownPercent(", " + shown.get(k).getText())).isCloseTo(100 * Math.exp(row[order[k]]),
                    within(0.051));
        }

        robot.clickOn(chips.get(index));
        robot.clickOn("Attention…");
        waitUntil(() -> robot.lookup(".attention-token").tryQuery().isPresent());
        List<StackPane> heat = robot.lookup(".attention-token").queryAllAs(StackPane.class).stream().toList();
        assertThat(heat).hasSize(trace.contextOf(index).length);
        double strongest = heat.stream().mapToDouble(chip -> chip.getChildren().getFirst().getOpacity()).max()
                .orElse(0);
        assertThat(strongest).isEqualTo(AttentionDialog.STRONGEST);
    }
}
