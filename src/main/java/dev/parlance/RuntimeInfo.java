package dev.parlance;

import dev.parlance.inference.model.Compute;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What this process runs on, as {@code --version}, the self-test and the About dialog say it:
 * Parlance's version, the Java runtime, the compute path, the threads and the CPU's features.
 */
public final class RuntimeInfo {
    /** The Vector API's module: present, the products run on it; absent, on PyTorch. */
    public static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** The CPU features the kernels or llama.cpp-class engines care about, as Linux names them. */
    private static final List<String> FEATURES = List.of("avx", "avx2", "fma", "f16c", "avx512f", "avx512bw",
            "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16", "asimd", "sve");

    private RuntimeInfo() {}

    /** Parlance's version, from the build (the pom's). */
    public static String version() {
        try (InputStream in = RuntimeInfo.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            String version = properties.getProperty("version", "");
            return version.isEmpty() || version.startsWith("$") ? "(development build)" : version;
        } catch (IOException e) {
            return "(development build)";
        }
    }

    /** Whether this process computes on the Vector API: its module was resolved at start. */
    public static boolean vectorApiEnabled() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /** Whether the Java runtime holds the Vector API's module, so a restart with it can work. */
    public static boolean vectorApiInstalled() {
        return ModuleFinder.ofSystem().find(VECTOR_MODULE).isPresent();
    }

    /** One line: the compute path, and on the Vector API the width of its vectors. */
    public static String computePath() {
        if (!vectorApiEnabled()) {
            return "PyTorch (Java's Vector API is off: start with --add-modules " + VECTOR_MODULE
                    + " for the faster path)";
        }
        return "Java Vector API, " + VectorWidth.bits() + "-bit vectors";
    }

    /** One line: the processor's name and the features of {@link #FEATURES} it has. */
    public static String cpu() {
        String arch = System.getProperty("os.arch");
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return arch + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        }
        try {
            List<String> lines = Files.readAllLines(cpuinfo);
            String name = field(lines, "model name");
            Set<String> flags = Set.of(field(lines, lines.stream().anyMatch(l -> l.startsWith("flags"))
                    ? "flags" : "Features").split("\\s+"));
            String features = FEATURES.stream().filter(flags::contains).collect(Collectors.joining(" "));
            return (name.isEmpty() ? arch : name) + ", " + Runtime.getRuntime().availableProcessors() + " cores"
                    + (features.isEmpty() ? "" : ", " + features);
        } catch (IOException e) {
            return arch + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        }
    }

    /** The lines {@code --version} prints. */
    public static List<String> describe() {
        return List.of(
                "Parlance " + version(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                "compute: " + computePath(),
                "threads: " + Compute.defaultThreads() + " of " + Runtime.getRuntime().availableProcessors() + " cores",
                "Java heap: up to " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB",
                "CPU: " + cpu());
    }

    private static String field(List<String> lines, String key) {
        return lines.stream()
                .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(key.toLowerCase(Locale.ROOT)))
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst()
                .orElse("");
    }

    /** Loaded only when the Vector API's module is there: its classes are not otherwise. */
    private static final class VectorWidth {
        static int bits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }
}
