package dev.parlance.store;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.ModelLoadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Conversations as files a person can read (Markdown) or another tool can load (JSON).
 *
 * <p>The JSON is a Chat Completion request's {@code messages} array ({@code role}, {@code
 * content}, plus {@code reasoning_content} when the model reasoned) with Parlance's figures under
 * each message's {@code metadata}, and the conversation's own details at the top level. Tools that
 * know only the Chat Completion format read {@code messages} and ignore the rest.
 *
 * <p>Answer versions and branches: {@code messages} is the selected path, and the messages on
 * other branches follow in {@code other_messages}, each after its parent. Every message names its
 * parent in {@code metadata.parent_id} (null for a first message). A file without parents (from
 * before branches, or from another tool) is one chain; a Parlance that does not know branches reads
 * the selected path and ignores the rest.
 */
public final class ConversationExport {
    /** The {@code format} field of every exported JSON file. */
    public static final String FORMAT = "parlance-conversation";
    private static final int FORMAT_VERSION = 1;
    private static final String IMPORTED_TITLE = "Imported conversation";
    private static final int PAGE = 500;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    private static final DateTimeFormatter FILE_DATE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter READABLE_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private ConversationExport() {}

    /** Reads a whole conversation from a store, page by page, or null if there is none with that id. */
    public static ConversationArchive read(ConversationStore store, String conversationId) {
        ConversationRecord conversation = store.conversation(conversationId).orElse(null);
        if (conversation == null) {
            return null;
        }
        List<MessageRecord> path = new ArrayList<>();
        List<MessageRecord> page;
        do {
            page = store.messages(conversationId, path.size(), PAGE);
            path.addAll(page);
        } while (page.size() == PAGE);
        return new ConversationArchive(conversation, store.tree(conversationId),
                path.isEmpty() ? null : path.getLast().id());
    }

    /**
     * Writes every listed conversation of the store into {@code folder} as a {@code .md} and a
     * {@code .json} file each, named by date, title and id so that names never collide.
     *
     * @return the files written
     */
    public static List<Path> exportAll(ConversationStore store, Path folder) {
        List<Path> written = new ArrayList<>();
        for (ConversationRecord conversation : store.conversations()) {
            ConversationArchive archive = read(store, conversation.id());
            if (archive != null) {
                written.addAll(write(archive, folder));
            }
        }
        return written;
    }

    /** Writes one conversation into {@code folder} as Markdown and JSON; returns both files. */
    public static List<Path> write(ConversationArchive archive, Path folder) {
        String base = fileName(archive.conversation());
        Path markdown = folder.resolve(base + ".md");
        Path json = folder.resolve(base + ".json");
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new StoreException(StoreException.Reason.NOT_WRITABLE,
                    "Could not write the export to " + folder + ": " + e.getMessage(), e);
        }
        writeWhole(markdown, toMarkdown(archive));
        writeWhole(json, toJson(archive));
        return List.of(markdown, json);
    }

    /**
     * Writes a temporary file beside {@code target} and moves it into place, so a full disk leaves
     * no truncated export behind (and an earlier export of the same name stays whole).
     */
    private static void writeWhole(Path target, String text) {
        Path temporary = target.resolveSibling("." + target.getFileName() + ".part");
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // the first failure is the one to report
            }
            if (StoreException.nearlyFull(target.getParent())) {
                throw new StoreException(StoreException.Reason.DISK_FULL, "Could not write the export " + target
                        + " because the disk is full. Free some space on it and export again.", e);
            }
            throw new StoreException(StoreException.Reason.NOT_WRITABLE,
                    "Could not write the export " + target + ": " + e.getMessage(), e);
        }
    }

    /** A file name without extension: {@code 2026-11-28-trip-to-lisbon-1a2b3c4d}. */
    static String fileName(ConversationRecord conversation) {
        String slug = conversation.title().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "-")
                .replaceAll("(^-+)|(-+$)", "");
        if (slug.length() > 60) {
            slug = slug.substring(0, 60).replaceAll("-+$", "");
        }
        String id = conversation.id().replace("-", "");
        String shortId = id.substring(0, Math.min(8, id.length()));
        return FILE_DATE.format(conversation.created()) + (slug.isEmpty() ? "" : "-" + slug) + "-" + shortId;
    }

    /** The conversation as a Markdown document: a heading per message, figures under each answer. */
    public static String toMarkdown(ConversationArchive archive) {
        ConversationRecord conversation = archive.conversation();
        StringBuilder out = new StringBuilder();
        out.append("# ").append(conversation.title()).append("\n\n");
        out.append("- Created: ").append(READABLE_TIME.format(conversation.created())).append('\n');
        if (conversation.model() != null) {
            out.append("- Model: ").append(conversation.model()).append('\n');
        }
        String systemPrompt = conversation.settings() == null ? null : conversation.settings().systemPrompt();
        if (systemPrompt != null && !systemPrompt.isBlank()) {
            out.append("- System prompt: ").append(systemPrompt.strip().replace("\n", " ")).append('\n');
        }
        for (MessageRecord message : path(archive)) {
            out.append("\n## ").append(heading(message.role())).append("\n\n");
            if (message.reasoning() != null && !message.reasoning().isBlank()) {
                out.append("<details><summary>Reasoning</summary>\n\n")
                        .append(message.reasoning().strip()).append("\n\n</details>\n\n");
            }
            out.append(message.content().strip()).append('\n');
            String figures = figures(message);
            if (!figures.isEmpty()) {
                out.append("\n*").append(figures).append("*\n");
            }
        }
        return out.toString();
    }

    private static String heading(Role role) {
        switch (role) {
            case SYSTEM:
                return "System";
            case USER:
                return "You";
            default:
                return "Assistant";
        }
    }

    private static String figures(MessageRecord message) {
        List<String> parts = new ArrayList<>();
        MessageStats stats = message.stats();
        if (stats != null && stats.tokens() > 0) {
            parts.add(stats.tokens() + " tokens");
            parts.add(String.format(Locale.ROOT, "%.1f tokens/s", stats.tokensPerSecond()));
            parts.add(String.format(Locale.ROOT, "first token after %.0f ms", stats.timeToFirstTokenMillis()));
        }
        if (message.finish() != null && message.finish() != FinishReason.STOP) {
            parts.add(message.finish().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        }
        return String.join(" · ", parts);
    }

    /** The conversation as JSON (see the class comment for the layout). */
    public static String toJson(ConversationArchive archive) {
        ConversationRecord conversation = archive.conversation();
        JsonObject root = new JsonObject();
        root.addProperty("format", FORMAT);
        root.addProperty("version", FORMAT_VERSION);
        root.addProperty("id", conversation.id());
        root.addProperty("title", conversation.title());
        root.addProperty("created", conversation.created().toString());
        root.addProperty("updated", conversation.updated().toString());
        root.addProperty("model", conversation.model());
        root.add("settings", SettingsJson.toJson(conversation.settings()));
        List<MessageRecord> path = path(archive);
        root.add("messages", toJson(path));
        List<MessageRecord> others = new ArrayList<>(archive.messages());
        others.removeAll(path);
        if (!others.isEmpty()) {
            root.add("other_messages", toJson(others));
        }
        return GSON.toJson(root) + "\n";
    }

    /**
     * The selected path of an archive, first message to leaf. Messages with no parent are one
     * chain (see {@link ConversationArchive}), so for them it is the whole list.
     */
    static List<MessageRecord> path(ConversationArchive archive) {
        List<MessageRecord> all = archive.messages();
        if (all.stream().allMatch(m -> m.parentId() == null) || all.isEmpty()) {
            return all;
        }
        Map<String, MessageRecord> byId = new HashMap<>();
        all.forEach(m -> byId.put(m.id(), m));
        List<MessageRecord> path = new ArrayList<>();
        MessageRecord m = byId.getOrDefault(archive.selectedLeafId(), all.getLast());
        for (; m != null; m = m.parentId() == null ? null : byId.get(m.parentId())) {
            path.add(m);
        }
        return path.reversed();
    }

    private static JsonArray toJson(List<MessageRecord> list) {
        JsonArray messages = new JsonArray();
        for (MessageRecord message : list) {
            JsonObject json = new JsonObject();
            json.addProperty("role", message.role().wireName());
            json.addProperty("content", message.content());
            if (message.reasoning() != null && !message.reasoning().isEmpty()) {
                json.addProperty("reasoning_content", message.reasoning());
            }
            JsonObject metadata = new JsonObject();
            metadata.addProperty("id", message.id());
            metadata.addProperty("parent_id", message.parentId());
            metadata.addProperty("created", message.created().toString());
            metadata.addProperty("model", message.model());
            if (message.finish() != null) {
                metadata.addProperty("finish_reason", message.finish().name().toLowerCase(Locale.ROOT));
            }
            MessageStats stats = message.stats() == null ? MessageStats.NONE : message.stats();
            metadata.addProperty("tokens", stats.tokens());
            metadata.addProperty("time_to_first_token_ms", stats.timeToFirstTokenMillis());
            metadata.addProperty("tokens_per_second", stats.tokensPerSecond());
            json.add("metadata", metadata);
            messages.add(json);
        }
        return messages;
    }

    /**
     * Parses an exported conversation. A plain Chat Completion file (only {@code messages}) is
     * accepted too; what it lacks is filled in (title from the first user message, times now).
     *
     * @throws StoreException with a plain-words reason if the text is not such a file
     */
    public static ConversationArchive fromJson(String text) {
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (!parsed.isJsonObject() || !parsed.getAsJsonObject().has("messages")
                    || !parsed.getAsJsonObject().get("messages").isJsonArray()) {
                throw unreadable("it has no \"messages\" list");
            }
            JsonObject root = parsed.getAsJsonObject();
            boolean parlance = checkFormat(root);
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            String id = string(root, "id", UUID.randomUUID().toString());
            Instant created = instant(root, "created", now);
            String model = string(root, "model", null);
            List<MessageRecord> messages = new ArrayList<>();
            for (JsonElement element : root.getAsJsonArray("messages")) {
                if (!element.isJsonObject()) {
                    throw unreadable("message " + (messages.size() + 1) + " is not an object");
                }
                messages.add(message(element.getAsJsonObject(), id, messages.size(), created, parlance));
            }
            String leafId = messages.isEmpty() ? null : messages.getLast().id();
            if (root.has("other_messages") && root.get("other_messages").isJsonArray()) {
                for (JsonElement element : root.getAsJsonArray("other_messages")) {
                    if (!element.isJsonObject()) {
                        throw unreadable("message " + (messages.size() + 1) + " is not an object");
                    }
                    messages.add(message(element.getAsJsonObject(), id, messages.size(), created, parlance));
                }
            }
            String title = string(root, "title", null);
            if (title == null) {
                title = messages.stream().filter(m -> m.role() == Role.USER).map(MessageRecord::content)
                        .findFirst().map(first -> ConversationRecord.titleFrom(first, IMPORTED_TITLE)).orElse(IMPORTED_TITLE);
            }
            ConversationSettings settings = root.has("settings") && root.get("settings").isJsonObject()
                    ? SettingsJson.fromJson(root.getAsJsonObject("settings"))
                    : ConversationSettings.DEFAULTS;
            ConversationRecord conversation = new ConversationRecord(
                    id, title, created, instant(root, "updated", created), model, settings);
            return new ConversationArchive(conversation, messages, leafId);
        } catch (NumberFormatException e) {
            throw unreadable("a figure or setting in it is not a number");
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
            throw unreadable("it is " + ModelLoadException.jsonProblem(e));
        }
    }

    /**
     * Refuses a file of another format or of a version this Parlance does not know.
     *
     * @return true for a Parlance export, false for a plain Chat Completion file (no {@code format})
     */
    private static boolean checkFormat(JsonObject root) {
        String format = string(root, "format", null);
        if (format != null && !format.equals(FORMAT)) {
            throw unreadable("its format is \"" + format + "\", not \"" + FORMAT + "\"");
        }
        JsonElement version = root.get("version");
        if (version != null && !(version.isJsonPrimitive() && version.getAsJsonPrimitive().isNumber()
                && version.getAsJsonPrimitive().getAsString().equals(String.valueOf(FORMAT_VERSION)))) {
            throw unreadable("it is version " + version + " of the format, and this Parlance reads version "
                    + FORMAT_VERSION + (format == null ? "" : "; a newer Parlance may have written it"));
        }
        return format != null;
    }

    /**
     * @param parlance whether the file is Parlance's own: then an answer without a finish reason
     *     was still being written; in a plain Chat Completion file every answer is complete
     */
    private static MessageRecord message(JsonObject json, String conversationId, int position, Instant fallback,
            boolean parlance) {
        String roleName = string(json, "role", null);
        Role role;
        try {
            role = Role.fromWireName(roleName == null ? "" : roleName);
        } catch (IllegalArgumentException e) {
            throw unreadable("message " + (position + 1) + " has the role \"" + roleName
                    + "\"; only system, user and assistant are known");
        }
        String content = content(json.get("content"));
        String reasoning = string(json, "reasoning_content", "");
        JsonObject metadata = json.has("metadata") && json.get("metadata").isJsonObject()
                ? json.getAsJsonObject("metadata") : new JsonObject();
        String finishName = string(metadata, "finish_reason", null);
        FinishReason finish = null;
        if (finishName != null) {
            try {
                finish = FinishReason.valueOf(finishName.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw unreadable("message " + (position + 1) + " has the unknown finish reason \""
                        + finishName + "\"");
            }
        }
        if (finish == null && role == Role.ASSISTANT && !parlance) {
            finish = FinishReason.STOP;
        }
        MessageStats stats = new MessageStats(
                metadata.has("tokens") ? metadata.get("tokens").getAsInt() : 0,
                metadata.has("time_to_first_token_ms") ? metadata.get("time_to_first_token_ms").getAsDouble() : 0,
                metadata.has("tokens_per_second") ? metadata.get("tokens_per_second").getAsDouble() : 0);
        return new MessageRecord(
                string(metadata, "id", UUID.randomUUID().toString()),
                conversationId,
                position,
                role,
                content,
                reasoning,
                instant(metadata, "created", fallback),
                string(metadata, "model", null),
                stats,
                finish,
                string(metadata, "parent_id", null));
    }

    /** Message text, given as a string or, as Chat Completion also allows, as a list of text parts. */
    private static String content(JsonElement value) {
        if (value == null || value.isJsonNull()) {
            return "";
        }
        if (!value.isJsonArray()) {
            return value.getAsString();
        }
        StringBuilder text = new StringBuilder();
        for (JsonElement part : value.getAsJsonArray()) {
            if (part.isJsonObject() && part.getAsJsonObject().has("text")) {
                text.append(part.getAsJsonObject().get("text").getAsString());
            }
        }
        return text.toString();
    }

    private static String string(JsonObject json, String name, String fallback) {
        JsonElement value = json.get(name);
        return value == null || value.isJsonNull() ? fallback : value.getAsString();
    }

    private static Instant instant(JsonObject json, String name, Instant fallback) {
        String value = string(json, name, null);
        if (value == null) {
            return fallback;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw unreadable("\"" + name + "\" is not a date and time: " + value);
        }
    }

    private static StoreException unreadable(String why) {
        return new StoreException(StoreException.Reason.OTHER,
                "This file cannot be imported as a conversation: " + why + ".");
    }
}
