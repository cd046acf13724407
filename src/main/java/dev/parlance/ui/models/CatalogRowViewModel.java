package dev.parlance.ui.models;

import dev.parlance.models.CatalogModel;
import dev.parlance.models.Download;
import dev.parlance.models.DownloadException;
import dev.parlance.models.DownloadListener;
import dev.parlance.models.DownloadPlan;
import dev.parlance.models.DownloadProgress;
import dev.parlance.models.FitAssessment;
import dev.parlance.models.MachineResources;
import dev.parlance.models.Variant;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyLongProperty;
import javafx.beans.property.ReadOnlyLongWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;

/**
 * One model of the catalog on the Models page: its variants with how each fits this machine, and
 * the download of the chosen one (progress, pause, cancel, and the failure in words).
 */
public final class CatalogRowViewModel {
    /** Where the chosen variant's download stands. */
    public enum DownloadState {
        /** Not downloaded, nothing started. */
        IDLE,
        /** Fetching. */
        RUNNING,
        /** Stopped with its partial download kept; Download resumes it. */
        PAUSED,
        /** Stopped by an error; {@link #errorProperty()} says what happened and what to do. */
        FAILED,
        /** In the models directory. */
        INSTALLED
    }

    private final CatalogModel model;
    private final ModelsPageViewModel page;
    private final Executor fxThread;
    private final ObjectProperty<Variant> variant = new SimpleObjectProperty<>();
    private final ReadOnlyObjectWrapper<FitAssessment> fit = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyBooleanWrapper recommended = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyObjectWrapper<DownloadState> state = new ReadOnlyObjectWrapper<>(DownloadState.IDLE);
    private final ReadOnlyObjectWrapper<DownloadProgress> progress = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyLongWrapper partialBytes = new ReadOnlyLongWrapper(0);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<DownloadException.Reason> errorReason = new ReadOnlyObjectWrapper<>();
    private final BooleanBinding canDownload;
    private final AtomicReference<DownloadProgress> latest = new AtomicReference<>();   // worker -> FX thread
    private MachineResources machine;         // FX thread only
    private Variant recommendedVariant;       // FX thread only
    private Set<String> installedNames = Set.of();      // FX thread only
    private Map<String, Long> partials = Map.of();      // FX thread only
    private Download current;                 // FX thread only
    private long downloadId;                  // FX thread only; a newer download makes older callbacks stale

    CatalogRowViewModel(CatalogModel model, ModelsPageViewModel page, Executor fxThread) {
        this.model = model;
        this.page = page;
        this.fxThread = fxThread;
        variant.set(model.variants().getFirst());
        variant.addListener((obs, was, now) -> {
            if (now == null || !model.variants().contains(now)) {
                variant.set(was);
            } else {
                update();
            }
        });
        canDownload = Bindings.createBooleanBinding(() -> variant.get() != null && model.runsHere(variant.get())
                && (state.get() == DownloadState.IDLE || state.get() == DownloadState.PAUSED
                        || state.get() == DownloadState.FAILED), variant, state);
    }

    public CatalogModel model() {
        return model;
    }

    /** The variants to choose from, smallest first. */
    public List<Variant> variants() {
        return model.variants();
    }

    /** The variant chosen; starts as the best one that fits. */
    public ObjectProperty<Variant> variantProperty() {
        return variant;
    }

    /** How the chosen variant fits this machine, with the numbers; null before the machine is known. */
    public ReadOnlyObjectProperty<FitAssessment> fitProperty() {
        return fit.getReadOnlyProperty();
    }

    /** How a variant fits this machine; null before the machine is known. */
    public FitAssessment fitOf(Variant v) {
        return machine == null ? null : machine.assess(v, partials.getOrDefault(planName(v), 0L));
    }

    /** Whether the chosen variant is the catalog's recommendation for this machine. */
    public ReadOnlyBooleanProperty recommendedProperty() {
        return recommended.getReadOnlyProperty();
    }

    /** Whether this variant is the one recommended for this machine. */
    public boolean isRecommended(Variant v) {
        return v != null && v.equals(recommendedVariant);
    }

    public ReadOnlyObjectProperty<DownloadState> stateProperty() {
        return state.getReadOnlyProperty();
    }

    public DownloadState getState() {
        return state.get();
    }

    /** The running download's last progress, coalesced onto the FX thread; null when none runs. */
    public ReadOnlyObjectProperty<DownloadProgress> progressProperty() {
        return progress.getReadOnlyProperty();
    }

    /** Bytes of the chosen variant a stopped download left, which Download resumes from. */
    public ReadOnlyLongProperty partialBytesProperty() {
        return partialBytes.getReadOnlyProperty();
    }

    /** What went wrong and what to do, empty unless {@link DownloadState#FAILED}. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /** The kind of failure, for the view to offer the matching action (a token, the model page); else null. */
    public ReadOnlyObjectProperty<DownloadException.Reason> errorReasonProperty() {
        return errorReason.getReadOnlyProperty();
    }

    /** Whether Download (or Resume, or Retry) can start: the engine runs the variant and nothing runs. */
    public BooleanBinding canDownloadProperty() {
        return canDownload;
    }

    /** The model's page, where a gated model's licence is accepted. */
    public URI modelPage() {
        return page.hub().modelPage(model.repo());
    }

    /** Downloads the chosen variant, resuming what a stopped download left; a finished one is installed. */
    public void download() {
        if (!canDownload.get()) {
            return;
        }
        long id = ++downloadId;
        error.set("");
        errorReason.set(null);
        latest.set(null);
        progress.set(null);
        state.set(DownloadState.RUNNING);
        current = page.downloader().start(DownloadPlan.of(model, variant.get()), new DownloadListener() {
            @Override
            public void onProgress(DownloadProgress p) {
                if (latest.getAndSet(p) == null) {   // only the first since the last flush schedules one
                    fxThread.execute(() -> showProgress(id));
                }
            }
        });
        current.result().whenComplete((result, failure) -> fxThread.execute(() -> finished(id, result, failure)));
    }

    /** Loads the installed variant and goes back to the chat. */
    public void load() {
        if (state.get() == DownloadState.INSTALLED) {
            page.load(page.modelsDirectory().resolve(planName(variant.get())));
        }
    }

    /** Stops the download and keeps what arrived, for Download to resume. */
    public void pause() {
        if (current != null && state.get() == DownloadState.RUNNING) {
            current.pause();
        }
    }

    /** Stops the download, or forgets a paused or failed one, and removes its partial files. */
    public void cancel() {
        if (current != null && state.get() == DownloadState.RUNNING) {
            current.cancel();
        } else if (partialBytes.get() > 0 || state.get() == DownloadState.FAILED) {
            ++downloadId;
            state.set(DownloadState.IDLE);
            error.set("");
            errorReason.set(null);
            page.discardPartial(planName(variant.get()));
        }
    }

    /** The page's new view of the machine, the models directory and the recommendation (FX thread). */
    void update(MachineResources machine, Set<String> installedNames, Map<String, Long> partials, Variant recommended) {
        boolean first = this.machine == null;
        this.machine = machine;
        this.installedNames = installedNames;
        this.partials = partials;
        this.recommendedVariant = recommended;
        if (first) {
            Variant best = recommended != null ? recommended : machine.bestVariant(model).orElse(null);
            if (best != null && !best.equals(variant.get()) && state.get() != DownloadState.RUNNING) {
                variant.set(best);   // the listener updates
                return;
            }
        }
        update();
    }

    private void update() {
        Variant chosen = variant.get();
        fit.set(fitOf(chosen));
        recommended.set(isRecommended(chosen));
        partialBytes.set(partials.getOrDefault(planName(chosen), 0L));
        if (state.get() == DownloadState.RUNNING) {
            return;
        }
        if (installedNames.contains(planName(chosen))) {
            state.set(DownloadState.INSTALLED);
        } else if (state.get() == DownloadState.INSTALLED || state.get() == DownloadState.PAUSED
                && partialBytes.get() == 0) {
            state.set(DownloadState.IDLE);
        } else if (state.get() == DownloadState.IDLE && partialBytes.get() > 0) {
            state.set(DownloadState.PAUSED);   // a download stopped in an earlier session
        }
    }

    private void showProgress(long id) {
        DownloadProgress p = latest.getAndSet(null);
        if (id == downloadId && p != null && state.get() == DownloadState.RUNNING) {
            progress.set(p);
        }
    }

    private void finished(long id, Download.Result result, Throwable failure) {
        if (id != downloadId) {
            return;
        }
        current = null;
        latest.set(null);
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            errorReason.set(cause instanceof DownloadException d ? d.reason() : DownloadException.Reason.SERVER);
            error.set(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
            state.set(DownloadState.FAILED);
            page.refresh();
            return;
        }
        switch (result.outcome()) {
            case INSTALLED -> {
                state.set(DownloadState.INSTALLED);
                page.installed(result.path());
            }
            case PAUSED -> {
                state.set(DownloadState.PAUSED);
                page.refresh();
            }
            case CANCELLED -> {
                progress.set(null);
                state.set(DownloadState.IDLE);
                page.refresh();
            }
        }
    }

    private String planName(Variant v) {
        return DownloadPlan.of(model, v).name();
    }
}
