package dev.parlance.ui.chat.tokens;

import dev.parlance.service.AttentionMap;
import java.text.MessageFormat;
import java.util.ResourceBundle;
import javafx.collections.FXCollections;
import javafx.scene.control.ButtonType;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.Modality;
import javafx.stage.Window;
import javafx.util.StringConverter;

/**
 * What the model attended to when it chose one token: the text it had read (prompt and answer so
 * far), token by token, each on the theme's accent colour as strong as its attention weight
 * relative to the strongest; one layer or the mean of all, the heads averaged.
 */
public final class AttentionDialog {
    /** The opacity of the strongest token's glow: any stronger and the text on it is hard to read. */
    static final double STRONGEST = 0.6;

    private final AttentionViewModel attention;
    private final ResourceBundle bundle;
    private final Dialog<Void> dialog = new Dialog<>();
    private final FlowPane heat = new FlowPane();
    private final Label hovered = new Label();

    /**
     * @param attention the weights, arriving or arrived
     * @param bundle the current language's strings
     * @param owner the main window
     */
    public AttentionDialog(AttentionViewModel attention, ResourceBundle bundle, Window owner) {
        this.attention = attention;
        this.bundle = bundle;
        dialog.initOwner(owner);
        dialog.initModality(Modality.NONE);
        dialog.setResizable(true);
        dialog.setTitle(bundle.getString("attention.title"));
        var title = new Label(MessageFormat.format(bundle.getString("attention.chosen"),
                TokenView.visible(attention.getToken())));
        title.setWrapText(true);
        var layers = new ChoiceBox<Integer>();
        layers.setConverter(new StringConverter<>() {
            @Override
            public String toString(Integer layer) {
                return layer == null ? "" : layer == AttentionViewModel.ALL_LAYERS ? bundle.getString("attention.allLayers")
                        : MessageFormat.format(bundle.getString("attention.layer"), layer + 1);
            }

            @Override
            public Integer fromString(String text) {
                throw new UnsupportedOperationException();
            }
        });
        layers.setAccessibleText(bundle.getString("attention.layers"));
        var busy = new ProgressIndicator();
        busy.setPrefSize(32, 32);
        busy.visibleProperty().bind(attention.busyProperty());
        busy.managedProperty().bind(attention.busyProperty());
        var error = new Label();
        error.getStyleClass().add("danger");
        error.setWrapText(true);
        error.textProperty().bind(attention.errorProperty());
        error.visibleProperty().bind(attention.errorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());
        var hint = new Label(bundle.getString("attention.hint"));
        hint.setWrapText(true);
        hint.getStyleClass().add("text-muted");
        heat.getStyleClass().add("token-flow");
        var scroll = new ScrollPane(heat);
        scroll.setFitToWidth(true);
        scroll.setPrefSize(760, 420);
        VBox.setVgrow(scroll, Priority.ALWAYS);
        var bar = new HBox(8, new Label(bundle.getString("attention.layers")), layers, hovered);
        bar.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        var content = new VBox(8, title, busy, error, bar, hint, scroll);
        content.getStyleClass().addAll("token-view", "attention-view");
        content.getStylesheets().add(TokenView.class.getResource("tokens.css").toExternalForm());
        dialog.getDialogPane().setContent(content);
        dialog.getDialogPane().getButtonTypes().add(ButtonType.CLOSE);
        attention.mapProperty().addListener((obs, was, map) -> {
            layers.getItems().setAll(FXCollections.observableArrayList());
            layers.getItems().add(AttentionViewModel.ALL_LAYERS);
            for (int l = 0; l < map.layers(); l++) {
                layers.getItems().add(l);
            }
            layers.setValue(attention.layerProperty().get());
            build(map);
        });
        layers.valueProperty().addListener((obs, was, now) -> {
            if (now != null) {
                attention.layerProperty().set(now);
            }
        });
        attention.rowProperty().addListener((obs, was, now) -> paint());
    }

    public void show() {
        dialog.show();
    }

    private void build(AttentionMap map) {
        StackPane[] chips = new StackPane[map.tokens().size()];
        for (int p = 0; p < chips.length; p++) {
            var glow = new Region();
            glow.getStyleClass().add("attention-heat");
            var text = new Label(TokenView.visible(map.tokens().get(p)));
            text.getStyleClass().add("token");
            var chip = new StackPane(glow, text);
            chip.getStyleClass().add("attention-token");
            int position = p;
            chip.setOnMouseEntered(e -> hovered.setText(MessageFormat.format(bundle.getString("attention.weight"),
                    TokenView.visible(map.tokens().get(position)), TokenView.percent(attention.rowProperty().get()[position]))));
            chip.setOnMouseExited(e -> hovered.setText(""));
            chips[p] = chip;
        }
        heat.getChildren().setAll(chips);
        paint();
    }

    /** Each token's glow as strong as its weight relative to the strongest of the row, up to {@link #STRONGEST}. */
    private void paint() {
        float[] row = attention.rowProperty().get();
        float peak = attention.peak();
        for (int p = 0; p < row.length && p < heat.getChildren().size(); p++) {
            var chip = (StackPane) heat.getChildren().get(p);
            chip.getChildren().getFirst().setOpacity(peak > 0 ? STRONGEST * row[p] / peak : 0);
            chip.setAccessibleText(((Label) chip.getChildren().get(1)).getText() + ", " + TokenView.percent(row[p]));
        }
    }
}
