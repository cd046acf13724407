package dev.parlance.ui.chat;

import dev.parlance.ui.chat.markdown.FormulaView;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import javafx.geometry.Bounds;
import javafx.geometry.Point2D;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import javafx.scene.shape.Path;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;

/**
 * Text selection with the mouse across the text flows under one node, in document order, as in a
 * web page: drag, Shift+click, double-click a word, triple-click a paragraph, and {@link #selectAll()}.
 * The selected ranges are drawn as unmanaged paths behind each flow's text (a {@code TextFlow} lays
 * out only its managed children), so the flows keep their Markdown styling.
 */
final class TextSelection {
    private final Parent root;
    private final Consumer<TextSelection> onSelect;
    private final Map<TextFlow, Path> highlights = new IdentityHashMap<>();
    private List<TextFlow> flows = List.of();   // the flows when the selection began, in document order
    private Position anchor;                     // where the drag began; null when nothing is selected
    private Position focus;                      // where it is now

    /** A place in the text: before the character {@code index} of the flow {@code flow}. */
    private record Position(int flow, int index) implements Comparable<Position> {
        @Override
        public int compareTo(Position other) {
            return flow != other.flow ? Integer.compare(flow, other.flow) : Integer.compare(index, other.index);
        }
    }

    /**
     * @param root the node whose text flows can be selected; gets the mouse handlers
     * @param onSelect told when the user starts a selection here, so that another one can be cleared
     */
    TextSelection(Parent root, Consumer<TextSelection> onSelect) {
        this.root = root;
        this.onSelect = onSelect;
        root.addEventHandler(MouseEvent.MOUSE_PRESSED, this::pressed);
        root.addEventHandler(MouseEvent.MOUSE_DRAGGED, this::dragged);
    }

    /** Whether any text is selected. */
    boolean isEmpty() {
        return anchor == null || anchor.equals(focus);
    }

    /** The selected text; flows are joined by line breaks. Empty when nothing is selected. */
    String selectedText() {
        if (isEmpty()) {
            return "";
        }
        Position start = min(anchor, focus);
        Position end = max(anchor, focus);
        var text = new StringBuilder();
        for (int i = start.flow(); i <= end.flow(); i++) {
            int from = i == start.flow() ? start.index() : 0;
            int to = i == end.flow() ? end.index() : Integer.MAX_VALUE;
            if (i > start.flow()) {
                text.append('\n');
            }
            copyText(flows.get(i), from, to, text);
        }
        return text.toString();
    }

    /**
     * Appends what characters {@code from .. to - 1} of a flow copy as: their text, and for a
     * formula (one character of the flow) its TeX source between its delimiters.
     */
    private static void copyText(TextFlow flow, int from, int to, StringBuilder into) {
        int at = 0;
        for (Node child : flow.getChildren()) {
            if (!child.isManaged()) {
                continue;
            }
            if (child instanceof Text run) {
                String text = run.getText();
                into.append(text, Math.clamp(from - at, 0, text.length()), Math.clamp(to - at, 0, text.length()));
                at += text.length();
            } else {
                if (at >= from && at < to && child instanceof FormulaView formula) {
                    String delimiter = formula.isDisplay() ? "$$" : "$";
                    into.append(delimiter).append(formula.getLatex()).append(delimiter);
                }
                at++;
            }
        }
    }

    /** Selects all the text under the root that is shown. */
    void selectAll() {
        flows = visibleFlows();
        if (flows.isEmpty()) {
            clear();
            return;
        }
        anchor = new Position(0, 0);
        focus = new Position(flows.size() - 1, textOf(flows.getLast()).length());
        onSelect.accept(this);
        paint();
    }

    /** Selects the first occurrence of {@code query} in one flow, ignoring case; false if there is none. */
    boolean selectFirst(String query) {
        flows = visibleFlows();
        for (int i = 0; i < flows.size(); i++) {
            int at = textOf(flows.get(i)).toLowerCase(Locale.ROOT).indexOf(query.toLowerCase(Locale.ROOT));
            if (at >= 0) {
                anchor = new Position(i, at);
                focus = new Position(i, at + query.length());
                onSelect.accept(this);
                paint();
                return true;
            }
        }
        clear();
        return false;
    }

    /** Removes the selection and its highlight. */
    void clear() {
        anchor = null;
        focus = null;
        flows = List.of();
        paint();
    }

    /** Drops the selection if the text it was made in has been replaced (a streaming answer's last block). */
    void forgetIfReplaced() {
        for (TextFlow flow : flows) {
            if (!isUnderRoot(flow)) {
                clear();
                return;
            }
        }
        paint();
    }

    private void pressed(MouseEvent e) {
        if (e.getButton() != MouseButton.PRIMARY) {
            return;
        }
        if (!(e.getTarget() instanceof Node target) || flowOf(target) == null) {
            clear();
            return;
        }
        if (anchor == null || !e.isShiftDown()) {
            flows = visibleFlows();
        }
        Position at = positionAt(e.getSceneX(), e.getSceneY());
        if (at == null) {
            clear();
            return;
        }
        String text = textOf(flows.get(at.flow()));
        switch (e.getClickCount()) {
            case 1 -> {
                if (anchor == null || !e.isShiftDown()) {
                    anchor = at;
                }
                focus = at;
            }
            case 2 -> {
                int[] word = wordAround(text, at.index());
                anchor = new Position(at.flow(), word[0]);
                focus = new Position(at.flow(), word[1]);
            }
            default -> {
                anchor = new Position(at.flow(), 0);
                focus = new Position(at.flow(), text.length());
            }
        }
        onSelect.accept(this);
        paint();
    }

    private void dragged(MouseEvent e) {
        if (anchor == null || e.getButton() != MouseButton.PRIMARY) {
            return;
        }
        Position at = positionAt(e.getSceneX(), e.getSceneY());
        if (at != null) {
            focus = at;
            paint();
        }
        e.consume();   // a drag selects text, not the list's items
    }

    /**
     * The place nearest to a point in the scene: in the flow under it (of flows side by side, as in
     * a table row, the nearest), else before the next flow below it, else at the end.
     */
    private Position positionAt(double x, double y) {
        if (flows.isEmpty()) {
            return null;
        }
        int best = -1;
        double bestDistance = Double.MAX_VALUE;
        for (int i = 0; i < flows.size(); i++) {
            Bounds b = flows.get(i).localToScene(flows.get(i).getLayoutBounds());
            if (best < 0 && y < b.getMinY()) {
                return new Position(i, 0);
            }
            if (y >= b.getMinY() && y <= b.getMaxY()) {
                double distance = x < b.getMinX() ? b.getMinX() - x : x > b.getMaxX() ? x - b.getMaxX() : 0;
                if (distance < bestDistance) {
                    best = i;
                    bestDistance = distance;
                }
            }
        }
        if (best < 0) {
            return new Position(flows.size() - 1, textOf(flows.getLast()).length());
        }
        TextFlow flow = flows.get(best);
        Point2D local = flow.sceneToLocal(x, y);
        int index = flow.hitTest(local).getInsertionIndex();
        return new Position(best, Math.clamp(index, 0, textOf(flow).length()));
    }

    private void paint() {
        Map<TextFlow, Boolean> keep = new IdentityHashMap<>();
        if (!isEmpty()) {
            Position start = min(anchor, focus);
            Position end = max(anchor, focus);
            for (int i = start.flow(); i <= end.flow(); i++) {
                TextFlow flow = flows.get(i);
                int from = i == start.flow() ? start.index() : 0;
                int to = i == end.flow() ? end.index() : textOf(flow).length();
                if (from < to) {
                    Path path = highlights.computeIfAbsent(flow, TextSelection::highlightIn);
                    path.getElements().setAll(flow.rangeShape(from, to));
                    keep.put(flow, true);
                }
            }
        }
        highlights.entrySet().removeIf(entry -> {
            if (keep.containsKey(entry.getKey())) {
                return false;
            }
            entry.getKey().getChildren().remove(entry.getValue());
            return true;
        });
    }

    private static Path highlightIn(TextFlow flow) {
        var path = new Path();
        path.setManaged(false);
        path.getStyleClass().add("text-selection");
        flow.getChildren().addFirst(path);   // behind the text
        return path;
    }

    /** The text flows under the root that are shown, depth first: the order they are read in. */
    private List<TextFlow> visibleFlows() {
        List<TextFlow> found = new ArrayList<>();
        collect(root, found);
        return found;
    }

    private static void collect(Node node, List<TextFlow> found) {
        if (!node.isVisible()) {
            return;
        }
        if (node instanceof TextFlow flow) {
            found.add(flow);
        } else if (node instanceof Parent parent) {
            for (Node child : parent.getChildrenUnmodifiable()) {
                collect(child, found);
            }
        }
    }

    private TextFlow flowOf(Node node) {
        for (Node n = node; n != null && n != root; n = n.getParent()) {
            if (n instanceof TextFlow flow) {
                return flow;
            }
        }
        return null;
    }

    private boolean isUnderRoot(Node node) {
        for (Node n = node; n != null; n = n.getParent()) {
            if (n == root) {
                return true;
            }
        }
        return false;
    }

    /**
     * The text a flow shows: its text runs, in order, and an object replacement character for any
     * other node in it (a formula), which the flow counts as one character; the highlight path,
     * not laid out, is not text.
     */
    static String textOf(TextFlow flow) {
        var text = new StringBuilder();
        for (Node child : flow.getChildren()) {
            if (child.isManaged()) {
                text.append(child instanceof Text run ? run.getText() : "\uFFFC");
            }
        }
        return text.toString();
    }

    /** The start and end of the word at {@code index}, by the default locale's word rules. */
    static int[] wordAround(String text, int index) {
        if (text.isEmpty()) {
            return new int[] {0, 0};
        }
        int at = Math.clamp(index, 0, text.length() - 1);
        BreakIterator words = BreakIterator.getWordInstance();
        words.setText(text);
        int start = words.isBoundary(at) ? at : words.preceding(at);
        int end = words.following(at);
        return new int[] {start, end == BreakIterator.DONE ? text.length() : end};
    }

    private static Position min(Position a, Position b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Position max(Position a, Position b) {
        return a.compareTo(b) <= 0 ? b : a;
    }
}
