package dev.parlance.inference.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.parlance.inference.ModelLoadException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a model folder's safetensors files ({@code model.safetensors}, or the shards a
 * {@code model.safetensors.index.json} names). Only the JSON headers are read; tensor data is
 * memory-mapped on demand, so a file of several GiB never passes through the Java heap.
 *
 * <p>Format: 8-byte little-endian header length, a JSON header mapping each name to
 * {@code {dtype, shape, data_offsets: [begin, end]}} relative to the end of the header, then data.
 */
public final class SafeTensors {
    /** Element types this engine reads: kept as stored on the vector kernel, widened to float32 for the tensor path. */
    public enum DType {
        F32(4), F16(2), BF16(2);

        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** Where one tensor's bytes are. */
    public record TensorInfo(String name, DType dtype, long[] shape, Path file, long offset, long length) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static final long MAX_HEADER_BYTES = 100L << 20;

    private final Map<String, TensorInfo> tensors;

    private SafeTensors(Map<String, TensorInfo> tensors) {
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Reads the headers of the folder's weights, sharded or not. */
    public static SafeTensors open(Path folder) throws ModelLoadException {
        Path single = folder.resolve("model.safetensors");
        Path index = folder.resolve("model.safetensors.index.json");
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        if (Files.isRegularFile(single)) {
            readHeader(single, all);
        } else if (Files.isRegularFile(index)) {
            for (Path shard : shardsOf(index)) {
                readHeader(shard, all);
            }
        } else {
            throw new ModelLoadException(folder, "no weights found: expected model.safetensors or "
                    + "model.safetensors.index.json in this folder");
        }
        return new SafeTensors(all);
    }

    private static Iterable<Path> shardsOf(Path index) throws ModelLoadException {
        JsonObject weightMap;
        try {
            weightMap = JsonParser.parseString(Files.readString(index)).getAsJsonObject()
                    .getAsJsonObject("weight_map");
        } catch (IOException | JsonParseException | IllegalStateException | ClassCastException e) {
            throw new ModelLoadException(index, e instanceof IOException ? "cannot read the shard index: " + e.getMessage()
                    : "the shard index is " + ModelLoadException.jsonProblem((RuntimeException) e), e);
        }
        if (weightMap == null) {
            throw new ModelLoadException(index, "the shard index has no \"weight_map\"");
        }
        Path folder = index.toAbsolutePath().normalize().getParent();
        var shards = new LinkedHashSet<Path>();
        for (var entry : weightMap.entrySet()) {
            JsonElement name = entry.getValue();
            if (!name.isJsonPrimitive() || !name.getAsJsonPrimitive().isString()) {
                throw new ModelLoadException(index, "the shard index gives " + name + " as the file of "
                        + entry.getKey() + "; expected a file name");
            }
            Path shard;
            try {
                shard = folder.resolve(name.getAsString()).normalize();
            } catch (InvalidPathException e) {
                throw new ModelLoadException(index, "the shard index names \"" + name.getAsString()
                        + "\", which is not a file name", e);
            }
            // refused before anything is opened: an index must not make Parlance read files elsewhere
            if (!shard.startsWith(folder) || shard.equals(folder)) {
                throw new ModelLoadException(index, "the shard index names \"" + name.getAsString()
                        + "\", which is outside the model folder; shards must be files in the folder");
            }
            shards.add(shard);
        }
        return shards;
    }

    private static void readHeader(Path file, Map<String, TensorInfo> into) throws ModelLoadException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new ModelLoadException(file, "truncated safetensors file (" + size + " bytes)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
                throw new ModelLoadException(file, "not a safetensors file, or truncated: header length "
                        + headerLength + " for a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            channel.read(headerBytes, 8);
            Map<String, JsonElement> header = headerEntries(
                    new String(headerBytes.array(), StandardCharsets.UTF_8), file);
            long dataStart = 8 + headerLength;
            List<TensorInfo> inFile = new ArrayList<>();
            for (Map.Entry<String, JsonElement> entry : header.entrySet()) {
                if (entry.getKey().equals("__metadata__")) {
                    continue;
                }
                TensorInfo info = parseEntry(file, entry.getKey(), entry.getValue().getAsJsonObject(), dataStart);
                if (info.length() > size - info.offset()) {
                    throw new ModelLoadException(file, "truncated: tensor " + info.name() + " ends at byte "
                            + (info.offset() + info.length()) + " but the file has " + size + " bytes");
                }
                TensorInfo earlier = into.get(info.name());
                if (earlier != null) {
                    throw new ModelLoadException(file, "tensor " + info.name() + " is also in "
                            + earlier.file().getFileName() + "; each tensor must be stored once");
                }
                into.put(info.name(), info);
                inFile.add(info);
            }
            requireDisjoint(file, inFile);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(file, "missing weights file", e);
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read: " + e.getMessage(), e);
        } catch (JsonParseException e) {
            throw new ModelLoadException(file, "damaged safetensors header: " + ModelLoadException.jsonProblem(e), e);
        } catch (IllegalStateException | UnsupportedOperationException | NullPointerException
                | IndexOutOfBoundsException | NumberFormatException | ClassCastException e) {
            throw new ModelLoadException(file, "damaged safetensors header: a tensor entry lacks its dtype, "
                    + "shape or offsets, or they are not numbers", e);
        }
    }

    /**
     * The header's entries in file order; a name given twice is refused (a JSON parser would keep
     * the last one silently, and which bytes are the tensor would depend on the reader).
     */
    private static Map<String, JsonElement> headerEntries(String text, Path file) throws ModelLoadException {
        Map<String, JsonElement> entries = new LinkedHashMap<>();
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                JsonElement value = JsonParser.parseReader(reader);
                if (entries.put(name, value) != null) {
                    throw new ModelLoadException(file, "damaged safetensors header: tensor " + name
                            + " is listed twice");
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new ModelLoadException(file, "damaged safetensors header: text after the header's object");
            }
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new ModelLoadException(file, "damaged safetensors header: " + ModelLoadException.jsonProblem(
                    e instanceof RuntimeException runtime ? runtime : new JsonParseException(e.getMessage(), e)), e);
        }
        return entries;
    }

    /** Refuses tensors whose byte ranges overlap: each byte of the data belongs to at most one tensor. */
    private static void requireDisjoint(Path file, List<TensorInfo> tensors) throws ModelLoadException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.removeIf(t -> t.length() == 0);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo previous = byOffset.get(i - 1);
            TensorInfo next = byOffset.get(i);
            if (next.offset() < previous.offset() + previous.length()) {
                throw new ModelLoadException(file, "damaged safetensors header: tensors " + previous.name()
                        + " and " + next.name() + " share bytes");
            }
        }
    }

    private static TensorInfo parseEntry(Path file, String name, JsonObject entry, long dataStart)
            throws ModelLoadException {
        String dtypeName = entry.get("dtype").getAsString();
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file, "tensor " + name + " has dtype " + dtypeName
                    + ", which is not supported (F32, F16 and BF16 are)");
        }
        var shapeJson = entry.getAsJsonArray("shape");
        long[] shape = new long[shapeJson.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeJson.get(i).getAsLong();
            if (shape[i] < 0) {
                throw new ModelLoadException(file, "tensor " + name + " has a negative size in its shape "
                        + shapeJson);
            }
            elements = multiplyOrMax(elements, shape[i]);
        }
        var offsets = entry.getAsJsonArray("data_offsets");
        if (offsets.size() != 2) {
            throw new ModelLoadException(file, "tensor " + name + " has data_offsets " + offsets
                    + "; expected [begin, end]");
        }
        long begin = offsets.get(0).getAsLong();
        long end = offsets.get(1).getAsLong();
        if (begin < 0 || end < begin || end > Long.MAX_VALUE - dataStart) {
            throw new ModelLoadException(file, "tensor " + name + " has data_offsets " + offsets
                    + "; expected 0 <= begin <= end");
        }
        if (multiplyOrMax(elements, dtype.bytes) != end - begin) {
            throw new ModelLoadException(file, "tensor " + name + " of shape " + Arrays.toString(shape)
                    + " and dtype " + dtype + " does not match its " + (end - begin) + " bytes");
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    }

    /** a times b, or Long.MAX_VALUE when that overflows (no file holds so many bytes). */
    private static long multiplyOrMax(long a, long b) {
        long product = Math.multiplyHigh(a, b) == 0 ? a * b : -1;
        return product < 0 ? Long.MAX_VALUE : product;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** Total bytes of all tensors as stored. */
    public long storedBytes() {
        return tensors.values().stream().mapToLong(TensorInfo::length).sum();
    }

    /** Total values of all tensors. */
    public long storedElements() {
        return tensors.values().stream().mapToLong(TensorInfo::elements).sum();
    }

    /** Maps a tensor's bytes read-only, little-endian. Tensors larger than 2 GiB are not supported. */
    public static ByteBuffer map(TensorInfo info) throws ModelLoadException {
        if (info.length() > Integer.MAX_VALUE) {
            throw new ModelLoadException(info.file(), "tensor " + info.name() + " is larger than 2 GiB");
        }
        try (FileChannel channel = FileChannel.open(info.file(), StandardOpenOption.READ)) {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, info.offset(), info.length());
            return mapped.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new ModelLoadException(info.file(), "cannot map tensor " + info.name() + ": " + e.getMessage(), e);
        }
    }
}
