package dev.parlance.ui.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.WeightFormat;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.models.ModelsViewModel.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.util.WaitForAsyncUtils;

class ModelsViewModelTest {
    private final Executor direct = Runnable::run;
    @TempDir Path dir;

    @Test
    void listsOnlyFoldersThatHoldAConfig() throws IOException {
        Files.createDirectories(dir.resolve("llama"));
        Files.writeString(dir.resolve("llama/config.json"), "{}");
        Files.createDirectories(dir.resolve("notes"));
        var models = new ModelsViewModel(new FakeInferenceService(), direct, direct, dir);
        models.refresh();
        assertThat(models.getModels()).containsExactly(dir.resolve("llama"));
    }

    @Test
    void listsGgufFilesBesideModelFolders() throws IOException {
        Files.createDirectories(dir.resolve("llama"));
        Files.writeString(dir.resolve("llama/config.json"), "{}");
        Files.writeString(dir.resolve("qwen2.5-0.5b-instruct-q4_k_m.gguf"), "GGUF");
        Files.writeString(dir.resolve("README.txt"), "not a model");
        var models = new ModelsViewModel(new FakeInferenceService(), direct, direct, dir);
        models.refresh();
        assertThat(models.getModels()).containsExactly(dir.resolve("llama"), dir.resolve("qwen2.5-0.5b-instruct-q4_k_m.gguf"));
    }

    @Test
    void choosingAnotherWeightFormatReloadsTheLoadedFolderWithIt() throws Exception {
        var inference = new FakeInferenceService().holdLoads();
        Path folder = Files.createDirectories(dir.resolve("tiny"));
        var models = new ModelsViewModel(inference, direct, direct, dir);
        models.load(folder);
        assertThat(inference.lastWeights).isEqualTo(WeightFormat.STORED);
        inference.completeLoad();
        models.weightFormatProperty().set(WeightFormat.Q8_0);
        assertThat(models.getStatus()).isEqualTo(Status.LOADING);
        assertThat(models.loadingProperty().get()).isEqualTo(folder);
        assertThat(inference.lastWeights).isEqualTo(WeightFormat.Q8_0);
    }

    @Test
    void aMissingModelsDirectoryListsNothing() {
        var models = new ModelsViewModel(new FakeInferenceService(), direct, direct, dir.resolve("absent"));
        models.refresh();
        assertThat(models.getModels()).isEmpty();
    }

    @Test
    void changingTheDirectoryListsItsFolders() throws IOException {
        Files.createDirectories(dir.resolve("other/qwen"));
        Files.writeString(dir.resolve("other/qwen/config.json"), "{}");
        var models = new ModelsViewModel(new FakeInferenceService(), direct, direct, dir.resolve("absent"));
        models.modelsDirectoryProperty().set(dir.resolve("other"));
        assertThat(models.getModels()).containsExactly(dir.resolve("other/qwen"));
    }

    @Test
    void loadingReportsProgressThenTheModel() {
        var inference = new FakeInferenceService().holdLoads();
        var models = new ModelsViewModel(inference, direct, direct, dir);
        models.load(dir.resolve("tiny"));
        assertThat(models.getStatus()).isEqualTo(Status.LOADING);
        assertThat(models.progressProperty().get()).isEqualTo(0.5);
        assertThat(models.loadingProperty().get()).isEqualTo(dir.resolve("tiny"));
        inference.completeLoad();
        assertThat(models.getStatus()).isEqualTo(Status.READY);
        assertThat(models.getLoaded().name()).isEqualTo("tiny");
        assertThat(models.loadingProperty().get()).isNull();
    }

    @Test
    void aFailedLoadShowsTheServicesPlainMessage() {
        var inference = new FakeInferenceService()
                .failLoads(new ModelLoadException(dir, "there is no config.json in this folder"));
        var models = new ModelsViewModel(inference, direct, direct, dir);
        models.load(dir);
        assertThat(models.getStatus()).isEqualTo(Status.FAILED);
        assertThat(models.errorProperty().get()).isEqualTo(dir + ": there is no config.json in this folder");
        assertThat(models.getLoaded()).isNull();
    }

    @Test
    void anOlderLoadFinishingLateIsIgnored() {
        var inference = new FakeInferenceService().holdLoads();
        var models = new ModelsViewModel(inference, direct, direct, dir);
        models.load(dir.resolve("first"));
        var firstLoad = inference.heldLoad();
        models.load(dir.resolve("second"));
        firstLoad.complete(FakeInferenceService.infoFor(dir.resolve("first")));
        assertThat(models.getStatus()).isEqualTo(Status.LOADING);
        inference.completeLoad();
        assertThat(models.getLoaded().name()).isEqualTo("second");
    }

    private Path modelFolder(String name) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.writeString(folder.resolve("config.json"), "{}");
        Files.writeString(folder.resolve("tokenizer.json"), "{}");
        return folder;
    }

    private static void await(ModelsViewModel models, Status status) throws TimeoutException {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> models.getStatus() == status);
    }

    @Test
    void aModelThatFailsToLoadKeepsTheWorkingOneAndSaysWhy() throws Exception {
        Path good = modelFolder("good");
        Path broken = Files.createDirectories(dir.resolve("broken"));
        var models = new ModelsViewModel(new FakeInferenceService(), Runnable::run, direct, dir);
        models.load(good);
        await(models, Status.READY);
        models.load(broken);
        await(models, Status.READY);
        assertThat(models.getLoaded().folder()).isEqualTo(good);
        assertThat(models.errorProperty().get()).contains("no config.json");
        assertThat(models.failedProperty().get()).isEqualTo(broken);
        models.dismissError();
        assertThat(models.errorProperty().get()).isEmpty();
    }

    @Test
    void whenTheEngineLetTheWorkingModelGoItIsLoadedAgain() throws Exception {
        Path good = modelFolder("good");
        Path broken = Files.createDirectories(dir.resolve("broken"));
        var inference = new FakeInferenceService().unloadFirst();
        var models = new ModelsViewModel(inference, Runnable::run, direct, dir);
        models.weightFormatProperty().set(WeightFormat.Q8_0);
        models.load(good);
        await(models, Status.READY);
        models.weightFormatProperty().set(WeightFormat.Q4_0);
        await(models, Status.READY);
        models.load(broken);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> inference.loads.size() == 4);
        await(models, Status.READY);
        assertThat(inference.loads).containsExactly(good, good, broken, good);
        assertThat(inference.lastWeights).as("as it was loaded").isEqualTo(WeightFormat.Q4_0);
        assertThat(inference.loadedModel().folder()).isEqualTo(good);
        assertThat(models.getLoaded().folder()).isEqualTo(good);
        assertThat(models.errorProperty().get()).as("still shown").contains("no config.json");
    }

    @Test
    void withNoModelBeforeAFailedLoadLeavesNone() throws Exception {
        var models = new ModelsViewModel(new FakeInferenceService(), Runnable::run, direct, dir);
        models.load(Files.createDirectories(dir.resolve("broken")));
        await(models, Status.FAILED);
        assertThat(models.getLoaded()).isNull();
    }

    @Test
    void aModelCopiedIntoTheWatchedDirectoryIsOfferedWithoutARefresh() throws Exception {
        var models = new ModelsViewModel(new FakeInferenceService(), direct, direct, dir);
        models.watch();
        try {
            models.refresh();
            assertThat(models.getModels()).isEmpty();
            Path folder = Files.createDirectories(dir.resolve("new-model"));
            Files.writeString(folder.resolve("config.json"), "{}");
            WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> models.getModels().contains(folder));
            Files.writeString(dir.resolve("small.gguf"), "GGUF");
            WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> models.getModels().contains(dir.resolve("small.gguf")));
        } finally {
            models.close();
        }
    }

    @Test
    void aModelsDirectoryThatDoesNotExistYetIsMadeAndWatched() throws Exception {
        Path missing = dir.resolve("not-yet/models");
        var models = new ModelsViewModel(new FakeInferenceService(), direct, direct, missing);
        models.watch();
        try {
            assertThat(missing).isDirectory();
            Path folder = Files.createDirectories(missing.resolve("new-model"));
            Files.writeString(folder.resolve("config.json"), "{}");
            WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> models.getModels().contains(folder));
        } finally {
            models.close();
        }
    }

    @Test
    void aModelOpenedFromElsewhereIsOfferedBesideTheDirectorysOwn() throws Exception {
        Path inside = modelFolder("models/inside");
        Path outside = modelFolder("elsewhere/outside");
        var models = new ModelsViewModel(new FakeInferenceService(), Runnable::run, direct, dir.resolve("models"));
        models.load(inside);
        await(models, Status.READY);
        assertThat(models.getOpened()).as("the directory's own are found anyway").isEmpty();
        models.load(outside);
        await(models, Status.READY);
        assertThat(models.getOpened()).containsExactly(outside);
        var next = new ModelsViewModel(new FakeInferenceService(), direct, direct, dir.resolve("models"));
        next.getOpened().setAll(models.getOpened());
        next.refresh();
        assertThat(next.getModels()).containsExactly(inside, outside);
    }
}
