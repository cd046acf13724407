package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A {@link ConversationStore} that keeps everything in memory until the process ends. Every
 * method holds one lock, so it is thread-safe; writes are fast enough that they need no queue, and
 * each is as durable as this store gets when it returns: its future is already complete.
 */
public final class InMemoryConversationStore implements ConversationStore {
    private final Clock clock;
    private final Map<String, ConversationRecord> conversations = new LinkedHashMap<>();
    private final Map<String, List<MessageRecord>> messages = new LinkedHashMap<>();
    private final Set<String> deleted = new HashSet<>();
    /** The selected leaf of each conversation that has messages. */
    private final Map<String, String> leaves = new HashMap<>();

    public InMemoryConversationStore() {
        this(Clock.systemUTC());
    }

    /** With a given clock, so tests can order conversations by update time. */
    public InMemoryConversationStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized List<ConversationRecord> conversations() {
        // walk newest-created first so that the stable sort breaks equal timestamps the same way
        List<ConversationRecord> list = new ArrayList<>(conversations.values());
        Collections.reverse(list);
        list.removeIf(c -> deleted.contains(c.id()));
        list.sort(Comparator.comparing(ConversationRecord::updated).reversed());
        return list;
    }

    @Override
    public synchronized Optional<ConversationRecord> conversation(String id) {
        return Optional.ofNullable(conversations.get(id)).filter(c -> !deleted.contains(c.id()));
    }

    @Override
    public synchronized ConversationRecord create(String title, String model, ConversationSettings settings) {
        Instant now = clock.instant();
        var record = new ConversationRecord(UUID.randomUUID().toString(), title, now, now, model, settings);
        conversations.put(record.id(), record);
        messages.put(record.id(), new ArrayList<>());
        return record;
    }

    @Override
    public synchronized CompletableFuture<Void> rename(String conversationId, String title) {
        ConversationRecord c = conversations.get(conversationId);
        if (c != null) {
            conversations.put(c.id(),
                    new ConversationRecord(c.id(), title, c.created(), clock.instant(), c.model(), c.settings()));
        }
        return done();
    }

    @Override
    public synchronized CompletableFuture<Void> updateSettings(String conversationId, String model, ConversationSettings settings) {
        ConversationRecord c = conversations.get(conversationId);
        if (c != null) {
            conversations.put(c.id(),
                    new ConversationRecord(c.id(), c.title(), c.created(), c.updated(), model, settings));
        }
        return done();
    }

    @Override
    public synchronized CompletableFuture<Void> delete(String conversationId) {
        if (conversations.containsKey(conversationId)) {
            deleted.add(conversationId);
        }
        return done();
    }

    @Override
    public synchronized CompletableFuture<Void> restore(String conversationId) {
        deleted.remove(conversationId);
        return done();
    }

    @Override
    public synchronized List<MessageRecord> messages(String conversationId, int offset, int limit) {
        List<MessageRecord> all = path(conversationId);
        int from = Math.min(Math.max(offset, 0), all.size());
        int to = (int) Math.min((long) from + Math.max(limit, 0), all.size());
        return List.copyOf(all.subList(from, to));
    }

    @Override
    public synchronized int messageCount(String conversationId) {
        return path(conversationId).size();
    }

    @Override
    public synchronized List<MessageRecord> tree(String conversationId) {
        List<MessageRecord> all = new ArrayList<>(messages.getOrDefault(conversationId, List.of()));
        all.sort(Comparator.comparingInt(MessageRecord::position));
        return List.copyOf(all);
    }

    @Override
    public synchronized List<MessageRecord> versions(String messageId) {
        MessageRecord message = find(messageId);
        if (message == null) {
            return List.of();
        }
        return messages.get(message.conversationId()).stream()
                .filter(m -> Objects.equals(m.parentId(), message.parentId())).toList();
    }

    @Override
    public synchronized MessageRecord append(String conversationId, Role role, String content) {
        return append(conversationId, leaves.get(conversationId), role, content);
    }

    @Override
    public synchronized MessageRecord append(String conversationId, String parentId, Role role, String content) {
        List<MessageRecord> list = messages.get(conversationId);
        if (list == null) {
            throw new StoreException(StoreException.Reason.OTHER,
                    "Could not add to the conversation: it has been deleted.");
        }
        MessageRecord parent = parentId == null ? null : find(parentId);
        if (parentId != null && (parent == null || !parent.conversationId().equals(conversationId))) {
            throw new IllegalArgumentException("No message " + parentId + " in conversation " + conversationId);
        }
        ConversationRecord c = conversations.get(conversationId);
        var record = new MessageRecord(UUID.randomUUID().toString(), conversationId,
                parent == null ? 0 : parent.position() + 1, role, content, "", clock.instant(),
                role == Role.ASSISTANT ? c.model() : null, MessageStats.NONE, null, parentId);
        list.add(record);
        leaves.put(conversationId, record.id());
        touch(conversationId);
        return record;
    }

    @Override
    public synchronized CompletableFuture<Void> select(String messageId) {
        MessageRecord message = find(messageId);
        if (message != null) {
            leaves.put(message.conversationId(), newestLeafUnder(message).id());
        }
        return done();
    }

    @Override
    public synchronized CompletableFuture<Void> updateMessage(
            String messageId, String content, String reasoning, MessageStats stats, FinishReason finish) {
        // a late streaming write must not undo the final one, as in the SQLite store
        replace(messageId, m -> finish == null && m.finish() != null && m.finish() != FinishReason.INTERRUPTED ? m
                : new MessageRecord(m.id(), m.conversationId(), m.position(), m.role(), content, reasoning,
                        m.created(), m.model(), stats, finish, m.parentId()));
        return done();
    }

    @Override
    public synchronized CompletableFuture<Void> editMessage(String messageId, String content) {
        replace(messageId, m -> new MessageRecord(m.id(), m.conversationId(), m.position(), m.role(), content,
                m.reasoning(), m.created(), m.model(), m.stats(), m.finish(), m.parentId()));
        return done();
    }

    @Override
    public synchronized CompletableFuture<Void> deleteMessage(String messageId) {
        MessageRecord message = find(messageId);
        if (message == null) {
            return done();
        }
        String conversationId = message.conversationId();
        List<MessageRecord> list = messages.get(conversationId);
        Set<String> subtree = new HashSet<>(List.of(messageId));
        for (MessageRecord m : tree(conversationId)) {
            if (m.parentId() != null && subtree.contains(m.parentId())) {
                subtree.add(m.id());
            }
        }
        boolean leafGone = subtree.contains(leaves.get(conversationId));
        list.removeIf(m -> subtree.contains(m.id()));
        if (leafGone) {
            MessageRecord sibling = list.stream().filter(m -> Objects.equals(m.parentId(), message.parentId()))
                    .reduce((first, second) -> second).orElse(null);
            leaves.put(conversationId, sibling != null ? newestLeafUnder(sibling).id() : message.parentId());
        }
        touch(conversationId);
        return done();
    }

    @Override
    public synchronized List<SearchHit> search(String query, int limit) {
        String needle = query.toLowerCase(Locale.ROOT);
        List<SearchHit> hits = new ArrayList<>();
        for (ConversationRecord c : conversations()) {
            for (MessageRecord m : messages.get(c.id())) {
                int at = m.content().toLowerCase(Locale.ROOT).indexOf(needle);
                if (!needle.isEmpty() && at >= 0 && hits.size() < limit) {
                    String text = m.content();
                    String snippet = text.substring(0, at) + "[[" + text.substring(at, at + needle.length()) + "]]"
                            + text.substring(at + needle.length());
                    hits.add(new SearchHit(c.id(), c.title(), m.id(), snippet));
                }
            }
        }
        return hits;
    }

    @Override
    public CompletableFuture<Void> committed() {
        return done();
    }

    private static CompletableFuture<Void> done() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void flush() {
        // nothing is queued: every write is done when its method returns
    }

    @Override
    public void close() {
        // nothing to release
    }

    private void touch(String conversationId) {
        ConversationRecord c = conversationId == null ? null : conversations.get(conversationId);
        if (c != null) {
            conversations.put(c.id(),
                    new ConversationRecord(c.id(), c.title(), c.created(), clock.instant(), c.model(), c.settings()));
        }
    }

    private MessageRecord find(String messageId) {
        for (List<MessageRecord> list : messages.values()) {
            for (MessageRecord m : list) {
                if (m.id().equals(messageId)) {
                    return m;
                }
            }
        }
        return null;
    }

    private List<MessageRecord> path(String conversationId) {
        List<MessageRecord> path = new ArrayList<>();
        for (MessageRecord m = find(leaves.getOrDefault(conversationId, "")); m != null; m = find(
                m.parentId() == null ? "" : m.parentId())) {
            path.add(m);
        }
        return path.reversed();
    }

    private MessageRecord newestLeafUnder(MessageRecord message) {
        List<MessageRecord> list = messages.get(message.conversationId());
        MessageRecord leaf = message;
        while (true) {
            String parent = leaf.id();
            MessageRecord child = list.stream().filter(m -> parent.equals(m.parentId()))
                    .reduce((first, second) -> second).orElse(null);
            if (child == null) {
                return leaf;
            }
            leaf = child;
        }
    }

    private void replace(String messageId, UnaryOperator<MessageRecord> change) {
        for (List<MessageRecord> list : messages.values()) {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i).id().equals(messageId)) {
                    list.set(i, change.apply(list.get(i)));
                    return;
                }
            }
        }
    }
}
