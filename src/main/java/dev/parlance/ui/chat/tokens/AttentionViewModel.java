package dev.parlance.ui.chat.tokens;

import dev.parlance.service.AttentionMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.ObjectBinding;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;

/**
 * What the model attended to when it chose one answer token: the weights arrive from the engine
 * (computed on request), and the user picks a layer or the mean of all layers.
 */
public final class AttentionViewModel {
    /** The {@link #layerProperty()} value that shows the mean over the layers. */
    public static final int ALL_LAYERS = -1;

    private final String token;
    private final ReadOnlyObjectWrapper<AttentionMap> map = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(true);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final IntegerProperty layer = new SimpleIntegerProperty(ALL_LAYERS);
    private final ObjectBinding<float[]> row;

    /**
     * @param token the text of the chosen token
     * @param weights the engine's answer, completed on any thread
     * @param fxThread where the answer is shown
     */
    public AttentionViewModel(String token, CompletableFuture<AttentionMap> weights, Executor fxThread) {
        this.token = token;
        row = Bindings.createObjectBinding(() -> map.get() == null ? new float[0] : map.get().row(layer.get()),
                map, layer);
        weights.whenCompleteAsync((result, failure) -> {
            busy.set(false);
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                error.set(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
            } else {
                map.set(result);
            }
        }, fxThread);
    }

    /** The text of the token whose choice is shown. */
    public String getToken() {
        return token;
    }

    /** The weights, once computed; null before and after a failure. */
    public ReadOnlyObjectProperty<AttentionMap> mapProperty() {
        return map.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy.getReadOnlyProperty();
    }

    /** Why the weights could not be computed, in plain words; empty otherwise. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /** The layer shown, from 0, or {@link #ALL_LAYERS}. */
    public IntegerProperty layerProperty() {
        return layer;
    }

    /** Each position's weight in the layer shown (empty until the weights arrive). */
    public ObjectBinding<float[]> rowProperty() {
        return row;
    }

    /** The largest weight of {@link #rowProperty()}, which the heat map shows at full strength. */
    public float peak() {
        float peak = 0;
        for (float w : row.get()) {
            peak = Math.max(peak, w);
        }
        return peak;
    }
}
