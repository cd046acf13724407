package dev.parlance.cli;

import dev.parlance.AppDirectories;
import dev.parlance.models.Catalog;
import dev.parlance.models.CatalogModel;
import dev.parlance.models.Download;
import dev.parlance.models.DownloadException;
import dev.parlance.models.DownloadPlan;
import dev.parlance.models.Fit;
import dev.parlance.models.FitAssessment;
import dev.parlance.models.FoundModel;
import dev.parlance.models.HubAccess;
import dev.parlance.models.HubClient;
import dev.parlance.models.InstalledModel;
import dev.parlance.models.MachineResources;
import dev.parlance.models.ModelDiscovery;
import dev.parlance.models.ModelDownloader;
import dev.parlance.models.ModelFormat;
import dev.parlance.models.Variant;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code parlance models}: the models directory, the catalog, and downloads. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Lists, finds, downloads and removes models.",
        subcommands = {
            ModelsCommand.ListModels.class,
            ModelsCommand.Search.class,
            ModelsCommand.Pull.class,
            ModelsCommand.Remove.class,
        })
public final class ModelsCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The {@code --models-dir} option. */
    static final class ModelsDirOption {
        @Option(names = "--models-dir", paramLabel = "DIR",
                description = "The models directory (default: the data folder's models/, see $"
                        + AppDirectories.DATA_DIR_ENV + ").")
        private Path modelsDir;

        Path get() {
            return modelsDir != null ? modelsDir : AppDirectories.modelsDirectory();
        }
    }

    /** {@code parlance models list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the models in the models directory, those other programs downloaded (the Hugging Face"
                    + " cache, LM Studio, Jan, GPT4All, Ollama), and the downloads not finished.")
    static final class ListModels implements Callable<Integer> {
        @Mixin
        private ModelsDirOption models;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Path directory = models.get();
            List<InstalledModel> installed = InstalledModel.list(directory);
            out.println(installed.isEmpty() ? "No models in " + directory
                    : installed.size() + (installed.size() == 1 ? " model in " : " models in ") + directory);
            for (InstalledModel model : installed) {
                out.printf(Locale.ROOT, "  %-48s %9s  %s%n", model.name(), FitAssessment.humanBytes(model.bytes()),
                        model.format() == ModelFormat.GGUF ? "GGUF file" : "model folder");
            }
            List<FoundModel> found = new ModelDiscovery(ModelDiscovery.Locations.defaults(System.getenv(),
                    Path.of(System.getProperty("user.home")), System.getProperty("os.name", ""))).find();
            if (!found.isEmpty()) {
                out.println("Found on this computer (used where they are, not copied; load one with --model PATH):");
                for (FoundModel model : found) {
                    out.printf(Locale.ROOT, "  %-48s %9s  %-18s %s%n", model.name(), FitAssessment.humanBytes(model.bytes()),
                            model.source().label(), model.path());
                }
            }
            var partials = ModelDownloader.partials(directory);
            if (!partials.isEmpty()) {
                out.println("Downloads not finished (`parlance models pull` resumes them, `rm` removes them):");
                for (ModelDownloader.Partial partial : partials) {
                    out.printf(Locale.ROOT, "  %-48s %9s of %s%n", partial.name(), FitAssessment.humanBytes(partial.bytes()),
                            partial.totalBytes() < 0 ? "?" : FitAssessment.humanBytes(partial.totalBytes()));
                }
            }
            out.flush();
            return 0;
        }
    }

    /** {@code parlance models search TEXT}. */
    @Command(name = "search", mixinStandardHelpOptions = true,
            description = "Searches the catalog (name, family, language, task), with how each variant fits this machine.")
    static final class Search implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "TEXT", description = "What to look for; nothing lists the whole catalog.")
        private String text = "";

        @Mixin
        private ModelsDirOption models;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Catalog catalog = Catalog.builtIn();
            MachineResources machine = MachineResources.current(models.get());
            List<CatalogModel> found = catalog.search(text);
            if (found.isEmpty()) {
                out.println("Nothing in the catalog matches \"" + text + "\"; any repository works too: "
                        + "parlance models pull owner/name[:QUANTIZATION]");
                out.flush();
                return 1;
            }
            Optional<MachineResources.Recommendation> recommended = machine.recommend(catalog);
            out.println("This machine: " + (machine.memoryFree() < 0 ? "free memory unknown"
                    : FitAssessment.humanBytes(machine.memoryFree()) + " of memory free") + ", "
                    + FitAssessment.humanBytes(machine.diskFree()) + " of disk free in " + models.get());
            for (CatalogModel model : found) {
                out.printf(Locale.ROOT, "%n%s  %s  (%s; %s parameters, context %,d; %s%s)%n", model.id(), model.name(),
                        model.repo(), billions(model.parameters()), model.contextLength(), model.license(),
                        model.gated() ? ", gated: needs a token" : "");
                model.needs().ifPresent(n -> out.println("  not run by this Parlance yet: it needs " + n));
                for (Variant variant : model.variants()) {
                    FitAssessment fit = machine.assess(variant);
                    boolean best = recommended.filter(r -> r.model() == model && r.variant() == variant).isPresent();
                    out.printf(Locale.ROOT, "  %-7s %8s  %-8s %s%s%n", variant.name(),
                            FitAssessment.humanBytes(variant.size()), fit.fit().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                            fit.describe(), best ? "  <- recommended" : "");
                }
            }
            out.flush();
            return 0;
        }

        private static String billions(long parameters) {
            return parameters >= 950_000_000L ? String.format(Locale.ROOT, "%.1fB", parameters / 1e9)
                    : String.format(Locale.ROOT, "%.0fM", parameters / 1e6);
        }
    }

    /** {@code parlance models pull ID[:VARIANT]}. */
    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = {"Downloads a catalog model or any repository into the models directory, resuming a download"
                    + " that stopped; each file's size and SHA-256 are checked before the model is installed.",
                "ID is a catalog id (see `parlance models search`) or owner/name[@revision]; VARIANT a quantization"
                        + " such as Q4_K_M or Q8_0 (default: the best that fits this machine, or Q4_K_M)."})
    static final class Pull implements Callable<Integer> {
        @Parameters(paramLabel = "ID[:VARIANT]")
        private String id;

        @Option(names = "--endpoint", paramLabel = "URL",
                description = "Where to download from (default: $HF_ENDPOINT, else the Hugging Face Hub).")
        private URI endpoint;

        @Mixin
        private ModelsDirOption models;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            HubAccess access = HubAccess.fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
            if (endpoint != null) {
                access = new HubAccess(endpoint, access.token());
            }
            var downloader = new ModelDownloader(new HubClient(access), models.get());
            int colon = id.lastIndexOf(':');
            String name = colon < 0 ? id : id.substring(0, colon);
            String variant = colon < 0 ? null : id.substring(colon + 1);
            DownloadPlan plan;
            try {
                plan = plan(downloader, name, variant);
            } catch (DownloadException e) {
                return CliSupport.fail(spec, e.getMessage());
            }
            if (plan == null) {
                return CliSupport.EXIT_FAILED;
            }
            var printer = new DownloadPrinter(out, System.console() != null && System.console().isTerminal());
            Download download = downloader.start(plan, printer);
            try {
                Download.Result result = download.result().get();
                printer.endBar();
                out.println("Installed " + result.path());
                out.flush();
                return 0;
            } catch (ExecutionException e) {
                printer.endBar();
                out.flush();
                return CliSupport.fail(spec, e.getCause().getMessage());
            } catch (InterruptedException e) {
                download.pause();
                Thread.currentThread().interrupt();
                return CliSupport.fail(spec, "interrupted; the download is kept and resumes with the same pull");
            }
        }

        /** The plan for a catalog id or a repository, or null after saying why there is none. */
        private DownloadPlan plan(ModelDownloader downloader, String name, String variant) throws DownloadException {
            Optional<CatalogModel> entry = Catalog.builtIn().find(name);
            if (entry.isEmpty()) {
                if (!name.contains("/")) {
                    CliSupport.fail(spec, "\"" + name + "\" is not in the catalog (see `parlance models search`);"
                            + " a repository is written owner/name");
                    return null;
                }
                return downloader.plan(name, variant);
            }
            CatalogModel model = entry.get();
            Optional<Variant> chosen = variant != null ? model.variant(variant)
                    : MachineResources.current(downloader.modelsDirectory()).bestVariant(model)
                            .or(() -> Optional.of(model.variants().getFirst()));
            if (chosen.isEmpty()) {
                CliSupport.fail(spec, model.id() + " has no variant \"" + variant + "\"; it has "
                        + String.join(", ", model.variants().stream().map(Variant::name).toList()));
                return null;
            }
            PrintWriter err = spec.commandLine().getErr();
            model.needs().ifPresent(n -> err.println("parlance: note: this Parlance does not run " + model.id()
                    + " yet (it needs " + n + ")"));
            FitAssessment fit = MachineResources.current(downloader.modelsDirectory()).assess(chosen.get());
            if (fit.fit() == Fit.TOO_BIG) {
                err.println("parlance: note: " + model.id() + ":" + chosen.get().name() + " is too big for this machine: "
                        + fit.describe());
            }
            err.flush();
            return DownloadPlan.of(model, chosen.get());
        }
    }

    /** {@code parlance models rm ID}. */
    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Removes a model from the models directory (by its file or folder name, or a catalog id),"
                    + " and its unfinished download.")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        private String id;

        @Mixin
        private ModelsDirOption models;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Path directory = models.get();
            List<String> names = Catalog.builtIn().find(id)
                    .map(m -> m.variants().stream().map(v -> DownloadPlan.of(m, v).name()).toList())
                    .orElse(List.of(id));
            int removed = 0;
            try {
                for (InstalledModel model : InstalledModel.list(directory)) {
                    if (names.contains(model.name())) {
                        model.delete();
                        out.println("Removed " + model.path());
                        removed++;
                    }
                }
                for (String name : names) {
                    if (ModelDownloader.discardPartial(directory, name)) {
                        out.println("Removed the unfinished download of " + name);
                        removed++;
                    }
                }
            } catch (IOException e) {
                return CliSupport.fail(spec, "cannot remove " + id + ": " + e.getMessage());
            }
            out.flush();
            return removed > 0 ? 0 : CliSupport.fail(spec, "no model \"" + id + "\" in " + directory
                    + " (see `parlance models list`)");
        }
    }
}
