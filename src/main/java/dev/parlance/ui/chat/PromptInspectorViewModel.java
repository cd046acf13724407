package dev.parlance.ui.chat;

import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.service.InferenceService;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.chat.PromptInspection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** The exact prompt the model would receive for the open conversation, tokens and all. */
public final class PromptInspectorViewModel {
    private final InferenceService inference;
    private final Executor fxThread;
    private final ReadOnlyObjectWrapper<PromptInspection> inspection = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyBooleanWrapper busy = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private List<Message> inspected = List.of();
    private int leftOut;

    /**
     * @param inference renders and tokenizes the prompt on its worker thread
     * @param fxThread runs the result on the FX thread
     */
    public PromptInspectorViewModel(InferenceService inference, Executor fxThread) {
        this.inference = inference;
        this.fxThread = fxThread;
    }

    /** The last inspection, or null. */
    public ReadOnlyObjectProperty<PromptInspection> inspectionProperty() {
        return inspection.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy.getReadOnlyProperty();
    }

    /** Why the prompt could not be built, in plain words; empty otherwise. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /**
     * The messages of the last inspection, in order: the first {@link #getLeftOut()} messages that
     * are not system messages were left out of the prompt; the others match its tokens-per-message.
     */
    public List<Message> getInspectedMessages() {
        return inspected;
    }

    /** How many of the oldest messages the prompt left out to fit the context. */
    public int getLeftOut() {
        return leftOut;
    }

    /**
     * Asks the service for the prompt actually sent: these messages without the {@code leftOut}
     * oldest ones (never a system message), as the engine reported it left them out. The result
     * arrives later.
     */
    public void inspect(List<Message> messages, ChatOptions options, int leftOut) {
        busy.set(true);
        error.set("");
        inspected = List.copyOf(messages);
        this.leftOut = leftOut;
        List<Message> sent = new ArrayList<>();
        int skipped = 0;
        for (Message m : messages) {
            if (m.role() != Role.SYSTEM && skipped < leftOut) {
                skipped++;
            } else {
                sent.add(m);
            }
        }
        inference.inspect(sent, options).whenComplete((result, failure) -> fxThread.execute(() -> {
            busy.set(false);
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                inspection.set(null);
                error.set(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
            } else {
                inspection.set(result);
            }
        }));
    }

    /** Tokens of the prompt over the tokens available, 0..1. */
    public double contextFraction() {
        PromptInspection p = inspection.get();
        return p == null || p.contextLength() <= 0 ? 0 : Math.min(1, p.tokenIds().size() / (double) p.contextLength());
    }
}
