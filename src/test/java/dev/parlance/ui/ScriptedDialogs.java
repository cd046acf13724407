package dev.parlance.ui;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** Answers the app's dialogs as a test tells it to, including the native folder chooser. */
public final class ScriptedDialogs implements DialogService {
    public volatile String editedText;
    public volatile String line;
    public volatile boolean confirmed = true;
    public volatile Path directory;
    public volatile Path modelFile;

    @Override
    public Optional<String> editText(String title, String initial) {
        return Optional.ofNullable(editedText);
    }

    @Override
    public Optional<String> askLine(String title, String initial) {
        return Optional.ofNullable(line);
    }

    @Override
    public boolean confirm(String title, String message) {
        return confirmed;
    }

    public final List<String> warnings = new CopyOnWriteArrayList<>();

    @Override
    public void warn(String title, String message) {
        warnings.add(message);
    }

    public final List<String> informations = new CopyOnWriteArrayList<>();

    @Override
    public void inform(String title, String text) {
        informations.add(text);
    }

    @Override
    public Optional<Path> chooseDirectory(String title, Path initial) {
        return Optional.ofNullable(directory);
    }

    @Override
    public Optional<Path> chooseModelFile(String title, Path initial) {
        return Optional.ofNullable(modelFile);
    }
}
