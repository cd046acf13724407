package dev.parlance.ui.chat.markdown;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javafx.css.CssMetaData;
import javafx.css.FontCssMetaData;
import javafx.css.SimpleStyleableObjectProperty;
import javafx.css.Styleable;
import javafx.css.StyleableObjectProperty;
import javafx.css.StyleableProperty;
import javafx.css.converter.PaintConverter;
import javafx.scene.AccessibleRole;
import javafx.scene.Node;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.paint.Paint;
import javafx.scene.text.Font;
import javafx.scene.text.Text;
import javafx.stage.Screen;
import javafx.stage.Window;
import org.scilab.forge.jlatexmath.TeXConstants;
import org.scilab.forge.jlatexmath.TeXFormula;
import org.scilab.forge.jlatexmath.TeXIcon;

/**
 * A LaTeX formula as an image, drawn by JLaTeXMath into an AWT image whose pixels are copied into
 * a JavaFX one. It takes its colour and size from CSS ({@code -fx-fill}, {@code -fx-font-size}),
 * so it follows the theme and the text around it, and is drawn again when they change; it is drawn
 * at the screen's pixel density, so it stays sharp on a high-density one. In a text flow it sits on
 * the line's baseline, its subscripts and fractions below it as in TeX.
 */
public final class FormulaView extends Region {
    /** How many formulas and images the caches keep. */
    private static final int CACHED = 128;
    /**
     * TeX's letters are small beside the sans-serif text around them (a lower x-height): as KaTeX
     * does, formulas are set at 1.21 times the text's size.
     */
    private static final double TEX_SCALE = 1.21;
    /** JLaTeXMath keeps tables and fonts in static fields: one thread at a time uses it. */
    private static final Object TEX = new Object();
    private static final AtomicBoolean PREPARING = new AtomicBoolean();
    /**
     * Formulas read and images drawn lately: a streaming answer rebuilds the formulas of its last
     * paragraph on every update (FX thread only).
     */
    private static final Map<Look, Drawn> DRAWN = recent();
    private static final Map<Source, Parsed> PARSED = recent();

    private static final CssMetaData<FormulaView, Paint> FILL = new CssMetaData<>("-fx-fill",
            PaintConverter.getInstance(), Color.BLACK) {
        @Override
        public boolean isSettable(FormulaView view) {
            return !view.fill.isBound();
        }

        @Override
        public StyleableProperty<Paint> getStyleableProperty(FormulaView view) {
            return view.fill;
        }
    };

    private static final FontCssMetaData<FormulaView> FONT = new FontCssMetaData<>("-fx-font", Font.getDefault()) {
        @Override
        public boolean isSettable(FormulaView view) {
            return !view.font.isBound();
        }

        @Override
        public StyleableProperty<Font> getStyleableProperty(FormulaView view) {
            return view.font;
        }
    };

    private static final List<CssMetaData<? extends Styleable, ?>> CSS_META_DATA = Stream.concat(
            Region.getClassCssMetaData().stream(), Stream.of(FILL, FONT)).toList();

    /** A formula as written. */
    private record Source(String latex, boolean display) {}

    /** What JLaTeXMath made of a formula: the formula, or why it could not read it. */
    private record Parsed(TeXFormula formula, RuntimeException error) {}

    /** What a formula image depends on. */
    private record Look(String latex, boolean display, float size, int argb, double scale) {}

    /** An image and its size and baseline in layout units (pixels at scale 1). */
    private record Drawn(WritableImage image, double width, double height, double baseline) {}

    private final String latex;
    private final boolean display;
    private final TeXFormula formula;
    private final ImageView image = new ImageView();
    private final StyleableObjectProperty<Paint> fill = new SimpleStyleableObjectProperty<>(FILL, this, "fill",
            Color.BLACK) {
        @Override
        protected void invalidated() {
            draw();
        }
    };
    private final StyleableObjectProperty<Font> font = new SimpleStyleableObjectProperty<>(FONT, this, "font",
            Font.getDefault()) {
        @Override
        protected void invalidated() {
            draw();
        }
    };
    private Drawn drawn = new Drawn(null, 0, 0, 0);

    private FormulaView(String latex, boolean display, TeXFormula formula) {
        this.latex = latex;
        this.display = display;
        this.formula = formula;
        getStyleClass().add("md-math");
        image.setSmooth(true);
        getChildren().add(image);
        setAccessibleRole(AccessibleRole.IMAGE_VIEW);
        setAccessibleText(latex);
        sceneProperty().addListener((o, was, now) -> draw());   // the window's pixel density
        draw();
    }

    /**
     * The formula, or, when JLaTeXMath cannot read it, its source in monospace with a tooltip that
     * names the error (style class {@code md-math-error}).
     *
     * @param latex TeX math, without its delimiters
     * @param display true for a display formula (larger operators, limits above and below)
     */
    public static Node of(String latex, boolean display) {
        Parsed parsed = PARSED.computeIfAbsent(new Source(latex, display), FormulaView::parse);
        return parsed.error() == null ? new FormulaView(latex, display, parsed.formula()) : error(latex, parsed.error());
    }

    private static Parsed parse(Source source) {
        try {
            synchronized (TEX) {
                var formula = new TeXFormula(source.latex());
                formula.createTeXIcon(style(source.display()), 10);   // some errors show only when it is laid out
                return new Parsed(formula, null);
            }
        } catch (RuntimeException e) {
            return new Parsed(null, e);
        }
    }

    private static <K, V> Map<K, V> recent() {
        return new LinkedHashMap<>(CACHED, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > CACHED;
            }
        };
    }

    /**
     * Loads JLaTeXMath's tables and fonts on a background thread, once: the first formula costs
     * about two seconds otherwise, which would stall the window when an answer's first formula
     * comes. A formula wanted before it is done waits for it.
     */
    public static void prepare() {
        if (PREPARING.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("formula-preparation").start(() -> {
                synchronized (TEX) {
                    new TeXFormula("x^2").createTeXIcon(TeXConstants.STYLE_TEXT, 12);
                }
            });
        }
    }

    private static Text error(String latex, RuntimeException e) {
        var text = new Text(latex);
        text.getStyleClass().addAll("md-text", "md-math-error");
        text.setUserData(List.of("md-math-error", latex));   // never joined to the text around it
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Tooltip.install(text, new Tooltip(message));
        return text;
    }

    /** The formula's TeX source. */
    public String getLatex() {
        return latex;
    }

    /** Whether it is a display formula. */
    public boolean isDisplay() {
        return display;
    }

    /** The image shown (null before it is drawn). */
    public WritableImage getImage() {
        return drawn.image();
    }

    private void draw() {
        Color color = fill.get() instanceof Color c ? c : Color.BLACK;
        float size = (float) (font.get().getSize() * TEX_SCALE);
        Window window = getScene() == null ? null : getScene().getWindow();
        double scale = Math.max(1, window != null ? window.getOutputScaleX() : Screen.getPrimary().getOutputScaleX());
        var look = new Look(latex, display, size, argb(color), scale);
        Drawn next = DRAWN.get(look);
        if (next == null) {
            try {
                next = draw(look);
            } catch (RuntimeException e) {   // read at one size, failed at another: show the source
                getChildren().setAll(error(latex, e));
                return;
            }
            DRAWN.put(look, next);
        }
        drawn = next;
        image.setImage(next.image());
        image.setFitWidth(next.width());
        image.setFitHeight(next.height());
        requestLayout();
    }

    private Drawn draw(Look look) {
        TeXIcon icon;
        BufferedImage awt;
        synchronized (TEX) {
            icon = formula.createTeXIcon(style(look.display()), (float) (look.size() * look.scale()));
            icon.setForeground(new java.awt.Color(look.argb(), true));
            awt = new BufferedImage(Math.max(1, icon.getIconWidth()), Math.max(1, icon.getIconHeight()),
                    BufferedImage.TYPE_INT_ARGB);
            Graphics2D g = awt.createGraphics();
            try {
                icon.paintIcon(null, g, 0, 0);
            } finally {
                g.dispose();
            }
        }
        int width = awt.getWidth();
        int height = awt.getHeight();
        int[] pixels = ((DataBufferInt) awt.getRaster().getDataBuffer()).getData();
        var fx = new WritableImage(width, height);
        fx.getPixelWriter().setPixels(0, 0, width, height, PixelFormat.getIntArgbInstance(), pixels, 0, width);
        double baseline = icon.getTrueIconHeight() - icon.getTrueIconDepth();
        return new Drawn(fx, width / look.scale(), height / look.scale(), baseline / look.scale());
    }

    private static int style(boolean display) {
        return display ? TeXConstants.STYLE_DISPLAY : TeXConstants.STYLE_TEXT;
    }

    private static int argb(Color color) {
        return (int) Math.round(color.getOpacity() * 255) << 24 | (int) Math.round(color.getRed() * 255) << 16
                | (int) Math.round(color.getGreen() * 255) << 8 | (int) Math.round(color.getBlue() * 255);
    }

    @Override
    protected void layoutChildren() {
        getChildren().getFirst().relocate(snappedLeftInset(), snappedTopInset());
    }

    @Override
    protected double computePrefWidth(double height) {
        return snappedLeftInset() + getChildren().getFirst().prefWidth(-1) + snappedRightInset();
    }

    @Override
    protected double computePrefHeight(double width) {
        return snappedTopInset() + getChildren().getFirst().prefHeight(-1) + snappedBottomInset();
    }

    @Override
    protected double computeMinWidth(double height) {
        return computePrefWidth(height);
    }

    @Override
    protected double computeMinHeight(double width) {
        return computePrefHeight(width);
    }

    @Override
    protected double computeMaxWidth(double height) {
        return computePrefWidth(height);   // a display formula's pane centres it rather than stretch it
    }

    @Override
    protected double computeMaxHeight(double width) {
        return computePrefHeight(width);
    }

    @Override
    public double getBaselineOffset() {
        Node shown = getChildren().getFirst();
        return snappedTopInset() + (shown == image ? drawn.baseline() : shown.getBaselineOffset());
    }

    public static List<CssMetaData<? extends Styleable, ?>> getClassCssMetaData() {
        return CSS_META_DATA;
    }

    @Override
    public List<CssMetaData<? extends Styleable, ?>> getCssMetaData() {
        return CSS_META_DATA;
    }
}
