package dev.parlance.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MachineResourcesTest {
    private static final long GB = 1_000_000_000L;

    /** A variant of 2 GB of files needing 3 GB of memory. */
    private static final Variant VARIANT =
            new Variant("Q4_K_M", ModelFormat.GGUF, "o/m", "main", List.of(new ModelFile("m-Q4_K_M.gguf", 2 * GB)), 3 * GB);

    @ParameterizedTest(name = "{0} GB memory, {1} GB disk free -> {2}")
    @CsvSource({
        "10, 100, FITS",
        "3.75, 100, FITS",    // 3 GB is exactly 80% of 3.75: still 20% to spare
        "3.5, 100, TIGHT",
        "3, 100, TIGHT",
        "2.9, 100, TOO_BIG",
        "10, 2.4, TIGHT",     // 2 GB of 2.4 leaves less than 20%
        "10, 1.9, TOO_BIG",
        "-1, 100, UNKNOWN",
        "-1, 1, TOO_BIG",
    })
    void aVariantFitsTightOrIsTooBigByItsMemoryAndFiles(double memoryGb, double diskGb, Fit expected) {
        var machine = new MachineResources(memoryGb < 0 ? -1 : (long) (memoryGb * GB), (long) (diskGb * GB));
        FitAssessment assessment = machine.assess(VARIANT);
        assertThat(assessment.fit()).isEqualTo(expected);
        assertThat(assessment.memoryNeeded()).isEqualTo(3 * GB);
        assertThat(assessment.diskNeeded()).isEqualTo(2 * GB);
    }

    @Test
    void aPartialDownloadNeedsOnlyTheRestOfTheDisk() {
        FitAssessment assessment = new MachineResources(10 * GB, GB).assess(VARIANT, 1_500_000_000L);
        assertThat(assessment.fit()).isEqualTo(Fit.FITS);
        assertThat(assessment.diskNeeded()).isEqualTo(500_000_000L);
    }

    @Test
    void theAssessmentSaysTheNumbers() {
        assertThat(new MachineResources(11_200_000_000L, 80 * GB).assess(VARIANT).describe())
                .isEqualTo("needs 3.0 GB of memory (11.2 GB free), 2.0 GB of disk (80.0 GB free)");
        assertThat(new MachineResources(-1, 80 * GB).assess(VARIANT).describe())
                .contains("(free memory unknown)");
    }

    @Test
    void theBestVariantIsTheLeastCompressedThatFitsWithRoomToSpare() {
        CatalogModel qwen3 = Catalog.builtIn().find("qwen3-4b").orElseThrow();   // Q4_K_M 4.3 GB, Q8_0 6.1 GB
        assertThat(new MachineResources(16 * GB, 100 * GB).bestVariant(qwen3)).map(Variant::name).hasValue("Q8_0");
        assertThat(new MachineResources(6 * GB, 100 * GB).bestVariant(qwen3)).map(Variant::name).hasValue("Q4_K_M");
        assertThat(new MachineResources(4 * GB, 100 * GB).bestVariant(qwen3)).isEmpty();
    }

    @Test
    void theRecommendationIsTheLargestRunnableModelThatFits() {
        Catalog catalog = Catalog.builtIn();
        // 8 GB free: 6.4 GB usable with room to spare. DeepSeek-R1-Distill-Qwen 7B Q4_K_M needs 5.7 GB and has
        // the most parameters (7.6 B) of what fits; Qwen3 8B Q4_K_M (6.8 GB) would only be tight.
        Optional<MachineResources.Recommendation> eight = new MachineResources(8 * GB, 100 * GB).recommend(catalog);
        assertThat(eight).map(r -> r.model().id() + ":" + r.variant().name())
                .hasValue("deepseek-r1-distill-qwen-7b:Q4_K_M");
        // 1.9 GB free (1.52 GB with room to spare): SmolLM2 360M Q8_0 (1.3 GB), not its BF16 folder (1.6 GB, tight)
        assertThat(new MachineResources(1_900_000_000L, 100 * GB).recommend(catalog))
                .map(r -> r.model().id() + ":" + r.variant().name()).hasValue("smollm2-360m-instruct:Q8_0");
        assertThat(new MachineResources(GB, 100 * GB).recommend(catalog)).isEmpty();
    }

    @Test
    void aModelTheEngineCannotRunYetHasNoBestVariantHoweverLargeTheMachine() {
        Catalog catalog = Catalog.builtIn();
        CatalogModel largest = catalog.models().stream()
                .max(java.util.Comparator.comparingLong(CatalogModel::parameters)).orElseThrow();
        CatalogModel waiting = new CatalogModel(largest.id(), largest.name(), largest.repo(), largest.license(),
                largest.gated(), largest.parameters(), largest.contextLength(), largest.languages(), largest.tasks(),
                largest.architecture(), largest.hfArchitecture(), largest.layers(), largest.kvHeads(),
                largest.headDim(), java.util.Optional.of("a layer the engine does not compute yet"), largest.variants());
        var large = new MachineResources(1000 * GB, 1000 * GB);
        assertThat(large.bestVariant(largest)).isPresent();
        assertThat(large.bestVariant(waiting)).isEmpty();
        var withWaiting = new Catalog(catalog.memoryContext(), catalog.models().stream()
                .map(m -> m == largest ? waiting : m).toList());
        assertThat(large.recommend(catalog)).map(r -> r.model().id()).hasValue(largest.id());
        assertThat(large.recommend(withWaiting)).map(r -> r.model().id()).get().isNotEqualTo(largest.id());
    }
}
