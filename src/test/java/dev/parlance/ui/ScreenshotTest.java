package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Launches the app in its own JVM on a virtual X display (Xvfb), with the real GTK window and
 * fonts rather than Monocle, and saves what the screen shows to {@code target/screenshots/}:
 * light and dark, English and Chinese, mid-conversation (scripted engine), on first run, and with
 * the real stories260K model loaded. Look at them.
 */
@Tag("ui")
class ScreenshotTest {
    private static final Path OUT = Path.of("target/screenshots");
    private static Process xvfb;
    private static String display;

    @BeforeAll
    static void startVirtualDisplay() throws IOException, InterruptedException {
        assumeTrue(onPath("Xvfb") && onPath("import") && onPath("xwininfo"),
                "Screenshots need Xvfb, ImageMagick and x11-utils: apt-get install -y xvfb imagemagick x11-utils "
                        + "libgtk-3-0 fonts-noto-cjk");
        Files.createDirectories(OUT);
        int n = 91;
        while (Files.exists(Path.of("/tmp/.X11-unix/X" + n)) || Files.exists(Path.of("/tmp/.X" + n + "-lock"))) {
            n++;
        }
        display = ":" + n;
        // -noreset: each app closing is the server's last client, and the reset that follows can end Xvfb
        xvfb = new ProcessBuilder("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
                .redirectErrorStream(true).redirectOutput(OUT.resolve("xvfb.log").toFile()).start();
        Path socket = Path.of("/tmp/.X11-unix/X" + n);
        waitFor(() -> Files.exists(socket), 10_000);
        assumeTrue(Files.exists(socket), "Xvfb did not start; see target/screenshots/xvfb.log");
    }

    @AfterAll
    static void stopVirtualDisplay() throws InterruptedException {
        if (xvfb != null) {
            xvfb.destroy();
            xvfb.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theConversationIsCapturedInLightAndDarkInEnglishAndChinese() throws Exception {
        for (Theme theme : List.of(Theme.LIGHT, Theme.DARK)) {
            for (Locale locale : List.of(Locale.ENGLISH, Locale.SIMPLIFIED_CHINESE)) {
                String name = "conversation-" + theme.name().toLowerCase(Locale.ROOT) + "-" + locale.toLanguageTag();
                Path dataDir = dataDir(name, theme, locale);
                Path model = fakeModel(dataDir);
                Process app = launch(name, dataDir, "dev.parlance.ui.ScreenshotMain", model.toString());
                Path log = OUT.resolve(name + ".log");
                waitFor(() -> read(log).contains("READY") || !app.isAlive(), 60_000);
                assertThat(read(log)).as("the app's output").contains("READY");
                capture(name);
                stop(app);
            }
        }
    }

    @Test
    void thePromptInspectorIsCaptured() throws Exception {
        String name = "inspector-light-en";
        Path dataDir = dataDir(name, Theme.LIGHT, Locale.ENGLISH);
        Path model = fakeModel(dataDir);
        Process app = launch(name, dataDir, "dev.parlance.ui.ScreenshotMain", model.toString(), "--inspect");
        Path log = OUT.resolve(name + ".log");
        waitFor(() -> read(log).contains("READY") || !app.isAlive(), 60_000);
        assertThat(read(log)).as("the app's output").contains("READY");
        capture(name);
        stop(app);
    }

    @Test
    void theFirstRunWithoutModelsIsCaptured() throws Exception {
        for (Theme theme : List.of(Theme.LIGHT, Theme.DARK)) {
            Locale locale = theme == Theme.LIGHT ? Locale.ENGLISH : Locale.SIMPLIFIED_CHINESE;
            String name = "first-run-" + theme.name().toLowerCase(Locale.ROOT) + "-" + locale.toLanguageTag();
            Process app = launch(name, dataDir(name, theme, locale), "dev.parlance.Launcher");
            waitFor(() -> windowShown() || !app.isAlive(), 60_000);
            assertThat(app.isAlive()).as("the app is running; see target/screenshots/" + name + ".log").isTrue();
            Thread.sleep(2500);   // the first layout and the model folder scan
            capture(name);
            stop(app);
        }
    }

    @Test
    void theRealAppWithTheStoriesModelLoadedIsCaptured() throws Exception {
        Path model = Path.of("../shared/models/stories260K").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(model.resolve("config.json")), "Skipped: no stories260K model at " + model);
        String name = "real-model-light-en";
        Path dataDir = dataDir(name, Theme.LIGHT, Locale.ENGLISH);
        AppPreferences prefs = AppPreferences.load(dataDir.resolve("settings.properties"));
        prefs.setModelsDirectory(model.getParent());
        prefs.setLastModel(model);
        prefs.save();
        Process app = launch(name, dataDir, "dev.parlance.Launcher");
        waitFor(() -> windowShown() || !app.isAlive(), 60_000);
        assertThat(app.isAlive()).as("the app is running; see target/screenshots/" + name + ".log").isTrue();
        Thread.sleep(5000);   // the model loads on the inference thread
        capture(name);
        stop(app);
    }

    /** A folder the scripted engine accepts as a model (it only checks that the files are there). */
    private static Path fakeModel(Path dataDir) throws IOException {
        Path model = dataDir.resolve("models/stories260K");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{}");
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        return model;
    }

    private static Path dataDir(String name, Theme theme, Locale locale) throws IOException {
        Path dir = Path.of("target/screenshot-data", name).toAbsolutePath();
        Files.createDirectories(dir);
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setTheme(theme);
        prefs.setLocale(locale);
        prefs.setWindowBounds(0, 0, 1280, 800);
        prefs.save();
        return dir;
    }

    private static Process launch(String name, Path dataDir, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "-Dfile.encoding=UTF-8", "-Dprism.order=sw", "-Dai.djl.offline=true", mainClass));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(OUT.resolve(name + ".log").toFile());
        builder.environment().put("DISPLAY", display);
        builder.environment().put("PARLANCE_DATA_DIR", dataDir.toString());
        builder.environment().put("LANG", "C.UTF-8");
        return builder.start();
    }

    private static boolean windowShown() {
        try {
            Process p = new ProcessBuilder("xwininfo", "-display", display, "-root", "-tree")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.contains("\"Parlance\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void capture(String name) throws IOException, InterruptedException {
        Path png = OUT.resolve(name + ".png");
        Process p = new ProcessBuilder("import", "-display", display, "-window", "root", png.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("import: " + out).isZero();
        assertThat(Files.size(png)).as(png.toString()).isGreaterThan(10_000);
    }

    private static void stop(Process app) throws InterruptedException {
        app.destroy();
        if (!app.waitFor(10, TimeUnit.SECONDS)) {
            app.destroyForcibly().waitFor();
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void waitFor(BooleanSupplier condition, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean() && System.currentTimeMillis() < end) {
            Thread.sleep(100);
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
