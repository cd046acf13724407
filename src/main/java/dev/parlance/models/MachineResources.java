package dev.parlance.models;

import dev.parlance.inference.SystemMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;

/**
 * What this machine has free for a model, and how catalog variants fit it.
 *
 * @param memoryFree bytes of memory available without swapping, or -1 when unknown
 * @param diskFree usable bytes on the file system of the models directory
 */
public record MachineResources(long memoryFree, long diskFree) {
    /** The share of free memory or disk that should stay free for a variant to fit comfortably. */
    public static final double SPARE_FRACTION = 0.2;

    /** The memory free now ({@link SystemMemory#availableBytes()}) and the disk free under {@code modelsDirectory}. */
    public static MachineResources current(Path modelsDirectory) {
        return new MachineResources(SystemMemory.availableBytes(), usableSpace(modelsDirectory));
    }

    /**
     * How the variant fits.
     *
     * @param alreadyDownloaded bytes of it already on disk (a partial download), which need no more space
     */
    public FitAssessment assess(Variant variant, long alreadyDownloaded) {
        long disk = Math.max(0, variant.size() - alreadyDownloaded);
        Fit fit;
        if (disk > diskFree || memoryFree >= 0 && variant.memory() > memoryFree) {
            fit = Fit.TOO_BIG;
        } else if (memoryFree < 0) {
            fit = Fit.UNKNOWN;
        } else if (variant.memory() > memoryFree * (1 - SPARE_FRACTION) || disk > diskFree * (1 - SPARE_FRACTION)) {
            fit = Fit.TIGHT;
        } else {
            fit = Fit.FITS;
        }
        return new FitAssessment(fit, variant.memory(), memoryFree, disk, diskFree);
    }

    /** How the variant fits when nothing of it is downloaded yet. */
    public FitAssessment assess(Variant variant) {
        return assess(variant, 0);
    }

    /** The variant of the model that fits with room to spare and needs the most memory (the least compressed). */
    public Optional<Variant> bestVariant(CatalogModel model) {
        return model.variants().stream()
                .filter(v -> model.runsHere(v) && assess(v).fit() == Fit.FITS)
                .max(Comparator.comparingLong(Variant::memory));
    }

    /**
     * The catalog's recommendation: among the models the engine runs, the one with the most
     * parameters of which a variant fits with room to spare, in its best such variant.
     */
    public Optional<Recommendation> recommend(Catalog catalog) {
        return catalog.models().stream()
                .flatMap(m -> bestVariant(m).map(v -> new Recommendation(m, v)).stream())
                .max(Comparator.comparingLong((Recommendation r) -> r.model().parameters())
                        .thenComparingLong(r -> r.variant().memory()));
    }

    /** A catalog model and the variant of it to download. */
    public record Recommendation(CatalogModel model, Variant variant) {}

    private static long usableSpace(Path directory) {
        Path existing = directory.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            return existing == null ? 0 : Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }
}
