package dev.parlance.inference;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of this machine and process. */
public final class SystemMemory {
    private SystemMemory() {}

    /** Memory a new allocation can use without swapping (Linux MemAvailable), or -1 if unknown. */
    public static long availableBytes() {
        Long fromProc = procField(Path.of("/proc/meminfo"), "MemAvailable:");
        if (fromProc != null) {
            return fromProc;
        }
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getFreeMemorySize();
        }
        return -1;
    }

    /** Peak resident set size of this process (Linux VmHWM), or -1 if unknown. */
    public static long peakResidentBytes() {
        Long peak = procField(Path.of("/proc/self/status"), "VmHWM:");
        return peak == null ? -1 : peak;
    }

    private static Long procField(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
