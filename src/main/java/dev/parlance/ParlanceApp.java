package dev.parlance;

import javafx.application.Application;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.stage.Stage;

/** The desktop application: the composition root that builds services and views. */
public final class ParlanceApp extends Application {
    @Override
    public void start(Stage stage) {
        stage.setTitle("Parlance");
        stage.setScene(new Scene(new Label("Parlance"), 800, 600));
        stage.show();
    }
}
