package dev.parlance.ui;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Dialog;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextInputDialog;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Window;

/** {@link DialogService} with JavaFX dialogs owned by the main window. */
public final class FxDialogService implements DialogService {
    private final Supplier<Window> owner;
    private final Supplier<ResourceBundle> bundle;

    /**
     * @param owner the window dialogs belong to
     * @param bundle the current language's strings (it changes when the user switches language)
     */
    public FxDialogService(Supplier<Window> owner, Supplier<ResourceBundle> bundle) {
        this.owner = owner;
        this.bundle = bundle;
    }

    @Override
    public Optional<String> editText(String title, String initial) {
        var dialog = new Dialog<String>();
        dialog.initOwner(owner.get());
        dialog.setTitle(title);
        var area = new TextArea(initial);
        area.setWrapText(true);
        area.setPrefRowCount(6);
        area.setId("edit-text");
        area.setAccessibleText(title);
        dialog.getDialogPane().setContent(area);
        dialog.getDialogPane().getButtonTypes().addAll(ButtonType.OK, ButtonType.CANCEL);
        dialog.setResultConverter(button -> button == ButtonType.OK ? area.getText() : null);
        dialog.setOnShown(e -> area.requestFocus());
        return dialog.showAndWait();
    }

    @Override
    public Optional<String> askLine(String title, String initial) {
        var dialog = new TextInputDialog(initial);
        dialog.initOwner(owner.get());
        dialog.setTitle(title);
        dialog.setHeaderText(null);
        dialog.setContentText(bundle.get().getString("dialog.name"));
        return dialog.showAndWait();
    }

    @Override
    public boolean confirm(String title, String message) {
        var alert = new Alert(Alert.AlertType.CONFIRMATION, message, ButtonType.OK, ButtonType.CANCEL);
        alert.initOwner(owner.get());
        alert.setTitle(title);
        alert.setHeaderText(null);
        return alert.showAndWait().filter(b -> b == ButtonType.OK).isPresent();
    }

    @Override
    public void warn(String title, String message) {
        var alert = new Alert(Alert.AlertType.WARNING, message, ButtonType.OK);
        alert.initOwner(owner.get());
        alert.setTitle(title);
        alert.setHeaderText(null);
        alert.show();
    }

    @Override
    public void inform(String title, String text) {
        var alert = new Alert(Alert.AlertType.INFORMATION, null, ButtonType.OK);
        alert.initOwner(owner.get());
        alert.setTitle(title);
        alert.setHeaderText(title);
        var area = new TextArea(text); // selectable, so it can be copied into a support request
        area.setEditable(false);
        area.setWrapText(true);
        area.setPrefRowCount(text.split("\n", -1).length + 2);
        alert.getDialogPane().setContent(area);
        alert.setResizable(true);
        alert.show();
    }

    @Override
    public Optional<Path> chooseDirectory(String title, Path initial) {
        var chooser = new DirectoryChooser();
        chooser.setTitle(title);
        if (initial != null && Files.isDirectory(initial)) {
            chooser.setInitialDirectory(initial.toFile());
        }
        File picked = chooser.showDialog(owner.get());
        return Optional.ofNullable(picked).map(File::toPath);
    }

    @Override
    public Optional<Path> chooseModelFile(String title, Path initial) {
        var chooser = new FileChooser();
        chooser.setTitle(title);
        chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("GGUF", "*.gguf"));
        if (initial != null && Files.isDirectory(initial)) {
            chooser.setInitialDirectory(initial.toFile());
        }
        File picked = chooser.showOpenDialog(owner.get());
        return Optional.ofNullable(picked).map(File::toPath);
    }
}
