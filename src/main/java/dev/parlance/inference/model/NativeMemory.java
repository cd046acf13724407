package dev.parlance.inference.model;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Native memory from the C library's {@code malloc}, freed with its arena. Unlike
 * {@link Arena#allocate}, which zeroes what it returns and so touches every page at once, a large
 * {@code malloc} maps pages the system provides (zeroed) only when they are first written: a KV
 * cache sized for a long context costs memory as positions fill it, not when a chat starts.
 */
final class NativeMemory {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private NativeMemory() {}

    /**
     * {@code bytes} of memory, valid until {@code arena} closes.
     *
     * @throws OutOfMemoryError when the system has no room for them
     */
    static MemorySegment allocate(long bytes, Arena arena) {
        MemorySegment block;
        try {
            block = (MemorySegment) MALLOC.invokeExact(Math.max(1L, bytes));
        } catch (Throwable e) {
            throw new IllegalStateException("malloc failed: " + e.getMessage(), e);
        }
        if (block.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("no room for " + bytes + " bytes of native memory");
        }
        return block.reinterpret(bytes, arena, NativeMemory::free);
    }

    private static void free(MemorySegment block) {
        try {
            FREE.invokeExact(block);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed: " + e.getMessage(), e);
        }
    }
}
