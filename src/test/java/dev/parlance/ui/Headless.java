package dev.parlance.ui;

/** Runs JavaFX tests without a display: Monocle's headless platform and software rendering. */
public final class Headless {
    private Headless() {}

    /** Call from a static initializer, before the toolkit starts. */
    public static void configure() {
        if (Boolean.getBoolean("parlance.ui.visible")) {
            return;   // watch the tests on a real display
        }
        System.setProperty("testfx.robot", "glass");
        System.setProperty("testfx.headless", "true");
        System.setProperty("prism.order", "sw");
        System.setProperty("glass.platform", "Monocle");
        System.setProperty("monocle.platform", "Headless");
        System.setProperty("headless.geometry", "1600x1000-32");   // room for a 1440 × 900 window
        System.setProperty("java.awt.headless", "true");
    }
}
