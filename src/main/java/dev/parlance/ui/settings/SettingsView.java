package dev.parlance.ui.settings;

import atlantafx.base.controls.ToggleSwitch;
import dev.parlance.ui.DialogService;
import dev.parlance.inference.WeightFormat;
import dev.parlance.ui.MainViewModel;
import dev.parlance.ui.Theme;
import dev.parlance.ui.models.ServersViewModel;
import dev.parlance.service.remote.RemoteServer;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.function.Function;
import javafx.beans.binding.Bindings;
import javafx.beans.property.ObjectProperty;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.PasswordField;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.TextFormatter;
import javafx.scene.control.Tooltip;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.StringConverter;

/** The collapsible settings panel: the open conversation's settings, and the app's look. */
public final class SettingsView {
    /** The languages offered; the first is used when the OS asks for another. */
    public static final List<Locale> LANGUAGES = List.of(Locale.ENGLISH, Locale.SIMPLIFIED_CHINESE);

    private final MainViewModel main;
    private final SettingsViewModel settings;
    private final ServeViewModel serve;
    private final DialogService dialogs;
    // bidirectional bindings hold their ends weakly: these keep the boxed views alive
    private ObjectProperty<Double> temperatureValue;
    private ObjectProperty<Double> topPValue;
    private ObjectProperty<Integer> topKValue;
    private ObjectProperty<Double> minPValue;
    private ObjectProperty<Double> repeatPenaltyValue;
    private ObjectProperty<Integer> maxTokensValue;
    private ObjectProperty<Integer> contextLengthValue;
    private ObjectProperty<Long> seedValue;
    private ObjectProperty<Double> fontSizeValue;
    private ObjectProperty<Integer> servePortValue;

    @FXML private ResourceBundle resources;
    @FXML private Label modelLabel;
    @FXML private TextArea systemPrompt;
    @FXML private Spinner<Double> temperature;
    @FXML private Spinner<Double> topP;
    @FXML private Spinner<Integer> topK;
    @FXML private Spinner<Double> minP;
    @FXML private Spinner<Double> repeatPenalty;
    @FXML private Spinner<Integer> maxTokens;
    @FXML private Spinner<Integer> contextLength;
    @FXML private TextField seed;
    @FXML private CheckBox thinking;
    @FXML private CheckBox fixedSeed;
    @FXML private Button resetButton;
    @FXML private Button saveQuickStartButton;
    @FXML private ComboBox<Theme> themeBox;
    @FXML private ComboBox<Locale> languageBox;
    @FXML private Spinner<Double> fontSize;
    @FXML private Label modelsDirectoryLabel;
    @FXML private ComboBox<WeightFormat> weightsBox;
    @FXML private VBox serversSection;
    @FXML private VBox serverList;
    @FXML private TextField serverName;
    @FXML private TextField serverUrl;
    @FXML private PasswordField serverKey;
    @FXML private Button addServerButton;
    @FXML private Label serverStatus;
    @FXML private VBox serveSection;
    @FXML private ToggleSwitch serveSwitch;
    @FXML private Spinner<Integer> servePort;
    @FXML private Label serveStatus;
    @FXML private VBox serveDetails;
    @FXML private TextField serveUrl;
    @FXML private VBox serveExampleBox;
    @FXML private TextArea serveExample;

    /**
     * @param main the app's look and the model picker's directory
     * @param serve the switch that serves the loaded model
     * @param dialogs picks the models directory
     */
    public SettingsView(MainViewModel main, ServeViewModel serve, DialogService dialogs) {
        this.main = main;
        this.settings = main.settings();
        this.serve = serve;
        this.dialogs = dialogs;
    }

    @FXML
    private void initialize() {
        modelLabel.textProperty().bind(Bindings.createStringBinding(
                () -> settings.modelProperty().get().isEmpty() ? resources.getString("settings.model.none")
                        : settings.modelProperty().get(),
                settings.modelProperty()));
        systemPrompt.textProperty().bindBidirectional(settings.systemPromptProperty());
        temperatureValue = settings.temperatureProperty().asObject();
        topPValue = settings.topPProperty().asObject();
        topKValue = settings.topKProperty().asObject();
        minPValue = settings.minPProperty().asObject();
        repeatPenaltyValue = settings.repeatPenaltyProperty().asObject();
        maxTokensValue = settings.maxTokensProperty().asObject();
        contextLengthValue = settings.contextLengthProperty().asObject();
        seedValue = settings.seedProperty().asObject();
        fontSizeValue = main.fontSizeProperty().asObject();
        decimal(temperature, 0, 2, 0.05, temperatureValue);
        decimal(topP, 0.01, 1, 0.05, topPValue);
        integer(topK, 0, 1000, 5, topKValue);
        decimal(minP, 0, 0.99, 0.01, minPValue);
        decimal(repeatPenalty, 0.5, 2, 0.05, repeatPenaltyValue);
        integer(maxTokens, 0, 1 << 17, 64, maxTokensValue);
        maxTokens.setTooltip(new Tooltip(resources.getString("settings.maxTokens.help")));
        fixedSeed.selectedProperty().bindBidirectional(settings.fixedSeedProperty());
        fixedSeed.setTooltip(new Tooltip(resources.getString("settings.seed.help")));
        seed.disableProperty().bind(fixedSeed.selectedProperty().not());
        integer(contextLength, 0, 1 << 20, 256, contextLengthValue);
        decimal(fontSize, 10, 28, 1, fontSizeValue);
        contextLength.setTooltip(new Tooltip(resources.getString("settings.contextLength.help")));
        var seedFormatter = new TextFormatter<>(new StringConverter<Long>() {
            @Override
            public String toString(Long value) {
                return value == null ? "0" : value.toString();
            }

            @Override
            public Long fromString(String text) {
                try {
                    return Math.max(0, Long.parseLong(text.strip()));
                } catch (NumberFormatException e) {
                    return settings.seedProperty().get();
                }
            }
        }, settings.seedProperty().get());
        seed.setTextFormatter(seedFormatter);
        seedFormatter.valueProperty().bindBidirectional(seedValue);
        thinking.selectedProperty().bindBidirectional(settings.thinkingProperty());
        thinking.visibleProperty().bind(settings.thinkingSupportedProperty());
        thinking.managedProperty().bind(thinking.visibleProperty());
        thinking.setTooltip(new Tooltip(resources.getString("settings.thinking.help")));
        resetButton.disableProperty().bind(settings.modelDefaultsProperty().isNull());
        saveQuickStartButton.visibleProperty().bind(main.quickStartProperty().isNotNull());
        saveQuickStartButton.managedProperty().bind(saveQuickStartButton.visibleProperty());
        saveQuickStartButton.textProperty().bind(Bindings.createStringBinding(
                () -> main.quickStartProperty().get() == null ? ""
                        : MessageFormat.format(resources.getString("settings.saveQuickStart"),
                                resources.getString(main.quickStartProperty().get().nameKey())),
                main.quickStartProperty()));
        saveQuickStartButton.accessibleTextProperty().bind(saveQuickStartButton.textProperty());
        themeBox.getItems().setAll(Theme.values());
        themeBox.setConverter(converter(t -> resources.getString("theme." + t.name().toLowerCase(Locale.ROOT))));
        themeBox.valueProperty().bindBidirectional(main.themeProperty());
        languageBox.getItems().setAll(LANGUAGES);
        languageBox.setConverter(converter(l -> l.getDisplayName(l)));
        languageBox.setValue(main.localeProperty().get());
        languageBox.setOnAction(e -> {
            if (languageBox.getValue() != null && !languageBox.getValue().equals(main.localeProperty().get())) {
                main.localeProperty().set(languageBox.getValue());
            }
        });
        modelsDirectoryLabel.textProperty().bind(Bindings.createStringBinding(
                () -> String.valueOf(main.models().modelsDirectoryProperty().get()),
                main.models().modelsDirectoryProperty()));
        weightsBox.getItems().setAll(WeightFormat.values());
        weightsBox.setConverter(converter(w -> resources.getString("weights." + w.name().toLowerCase(Locale.ROOT))));
        weightsBox.valueProperty().bindBidirectional(main.models().weightFormatProperty());
        bindServers(main.models().servers());
        bindServe();
    }

    /** Settings → Servers → "Serve the loaded model". */
    private void bindServe() {
        serveSwitch.selectedProperty().bindBidirectional(serve.onProperty());
        // AtlantaFX's switch answers only the mouse on its thumb; Space flips it as it does a check box
        serveSwitch.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.SPACE) {
                serveSwitch.fire();
                e.consume();
            }
        });
        servePortValue = serve.portProperty().asObject();
        integer(servePort, 1, 65535, 1, servePortValue);
        servePort.disableProperty().bind(serve.canChangePortProperty().not());
        serveStatus.textProperty().bind(Bindings.createStringBinding(() -> switch (serve.stateProperty().get()) {
            case OFF -> "";
            case STARTING -> resources.getString("settings.serve.starting");
            case PORT_IN_USE -> MessageFormat.format(resources.getString("settings.serve.portInUse"),
                    serve.portProperty().get());
            case FAILED -> serve.problemProperty().get();
            case SERVING -> switch (serve.servedProperty().get()) {
                case LOCAL -> MessageFormat.format(resources.getString("settings.serve.serving"),
                        serve.modelNameProperty().get());
                case NONE -> resources.getString("settings.serve.noModel");
                case REMOTE_IN_USE -> resources.getString("settings.serve.remote");
            };
        }, serve.stateProperty(), serve.problemProperty(), serve.portProperty(), serve.servedProperty(),
                serve.modelNameProperty()));
        serveStatus.visibleProperty().bind(serveStatus.textProperty().isNotEmpty());
        serveStatus.managedProperty().bind(serveStatus.visibleProperty());
        serveDetails.visibleProperty().bind(serve.urlProperty().isNotEmpty());
        serveDetails.managedProperty().bind(serveDetails.visibleProperty());
        serveUrl.textProperty().bind(serve.urlProperty());
        serveExample.textProperty().bind(serve.exampleProperty());
        serveExampleBox.visibleProperty().bind(serve.exampleProperty().isNotEmpty());
        serveExampleBox.managedProperty().bind(serveExampleBox.visibleProperty());
    }

    @FXML
    private void copyServeUrl() {
        copy(serve.urlProperty().get());
    }

    @FXML
    private void copyServeExample() {
        copy(serve.exampleProperty().get());
    }

    private static void copy(String text) {
        var content = new ClipboardContent();
        content.putString(text);
        Clipboard.getSystemClipboard().setContent(content);
    }

    /** Settings → "Add a server", hidden for a picker of local models only. */
    private void bindServers(ServersViewModel servers) {
        serversSection.setVisible(servers != null);
        serversSection.setManaged(servers != null);
        if (servers == null) {
            return;
        }
        serverName.textProperty().bindBidirectional(servers.nameProperty());
        serverUrl.textProperty().bindBidirectional(servers.urlProperty());
        serverKey.textProperty().bindBidirectional(servers.keyProperty());
        addServerButton.disableProperty().bind(servers.canAddProperty().not());
        serverStatus.textProperty().bind(Bindings.createStringBinding(() -> switch (servers.stateProperty().get()) {
            case IDLE -> "";
            case CHECKING -> resources.getString("settings.server.checking");
            case ADDED -> MessageFormat.format(resources.getString("settings.server.added"),
                    servers.modelsFoundProperty().get());
            case FAILED -> servers.problemProperty().get();
        }, servers.stateProperty(), servers.problemProperty(), servers.modelsFoundProperty()));
        servers.getServers().addListener((ListChangeListener<RemoteServer>) change -> showServers(servers));
        showServers(servers);
    }

    private void showServers(ServersViewModel servers) {
        serverList.getChildren().clear();
        for (RemoteServer server : servers.getServers()) {
            var label = new Label(server.name() + " · " + server.baseUrl());
            label.setWrapText(true);
            label.setMaxWidth(Double.MAX_VALUE);
            HBox.setHgrow(label, Priority.ALWAYS);
            var remove = new Button(resources.getString("settings.server.remove"));
            remove.setAccessibleText(MessageFormat.format(resources.getString("settings.server.removeNamed"),
                    server.name()));
            remove.setMinWidth(Region.USE_PREF_SIZE); // the address wraps; the button keeps its word
            remove.setOnAction(e -> servers.remove(server));
            var row = new HBox(6, label, remove);
            row.getStyleClass().add("server-row");
            serverList.getChildren().add(row);
        }
    }

    @FXML
    private void addServer() {
        main.models().servers().add();
    }

    @FXML
    private void precise() {
        settings.applyPreset(Preset.PRECISE);
    }

    @FXML
    private void balanced() {
        settings.applyPreset(Preset.BALANCED);
    }

    @FXML
    private void creative() {
        settings.applyPreset(Preset.CREATIVE);
    }

    @FXML
    private void resetToModel() {
        settings.resetToModelDefaults();
    }

    @FXML
    private void saveAsDefaults() {
        settings.saveAsDefaults();
    }

    @FXML
    private void saveQuickStart() {
        main.saveQuickStart();
    }

    @FXML
    private void changeModelsDirectory() {
        Path current = main.models().modelsDirectoryProperty().get();
        dialogs.chooseDirectory(resources.getString("settings.modelsDirectory"), current)
                .ifPresent(dir -> main.models().modelsDirectoryProperty().set(dir));
    }

    private static void decimal(Spinner<Double> spinner, double min, double max, double step,
            ObjectProperty<Double> value) {
        var factory = new SpinnerValueFactory.DoubleSpinnerValueFactory(min, max, value.get(), step);
        spinner.setValueFactory(factory);
        spinner.setEditable(true);
        factory.valueProperty().bindBidirectional(value);
    }

    private static void integer(Spinner<Integer> spinner, int min, int max, int step, ObjectProperty<Integer> value) {
        var factory = new SpinnerValueFactory.IntegerSpinnerValueFactory(min, max, value.get(), step);
        spinner.setValueFactory(factory);
        spinner.setEditable(true);
        factory.valueProperty().bindBidirectional(value);
    }

    private static <T> StringConverter<T> converter(Function<T, String> toText) {
        return new StringConverter<>() {
            @Override
            public String toString(T value) {
                return value == null ? "" : toText.apply(value);
            }

            @Override
            public T fromString(String text) {
                throw new UnsupportedOperationException("the list is not editable");
            }
        };
    }
}
