package dev.parlance.ui;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.ResourceBundle;
import javafx.fxml.FXMLLoader;
import javafx.scene.Parent;

/**
 * Loads FXML views with the current language's bundle. Controllers are built beforehand by the
 * composition root, each with its view model, and handed out by class (no DI framework).
 */
public final class ViewLoader {
    /** Base name of the UI's resource bundles. */
    public static final String BUNDLE = "dev.parlance.ui.messages";

    private final ResourceBundle bundle;
    private final Map<Class<?>, Object> controllers;

    /**
     * @param bundle the strings of the current language
     * @param controllers the controller for each controller class the FXML files name
     */
    public ViewLoader(ResourceBundle bundle, Map<Class<?>, Object> controllers) {
        this.bundle = bundle;
        this.controllers = controllers;
    }

    /**
     * The UI's strings in a language. Without fallback to the OS's language: on a Chinese system,
     * English must still mean the base bundle.
     */
    public static ResourceBundle bundle(Locale locale) {
        return ResourceBundle.getBundle(BUNDLE, locale,
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
    }

    /** Loads a view, such as {@code "MainView.fxml"} relative to this package. */
    public Parent load(String fxml) {
        var loader = new FXMLLoader(ViewLoader.class.getResource(fxml), bundle);
        loader.setControllerFactory(type -> {
            Object controller = controllers.get(type);
            if (controller == null) {
                throw new IllegalStateException("No controller for " + type.getName());
            }
            return controller;
        });
        try {
            return loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load view " + fxml, e);
        }
    }
}
