package dev.parlance.ui;

import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.SearchHit;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.QuickStart;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.ObservableMap;
import javafx.collections.transformation.FilteredList;

/**
 * The main window: the sidebar of conversations with its search, the open conversation, and the
 * app-wide look (theme, language, font size). Owns the screens' view models.
 */
public final class MainViewModel {
    /** The most message matches a search reads from the store. */
    private static final int SEARCH_LIMIT = 200;

    private final ConversationStore store;
    private final Executor fxThread;
    private final Executor io;
    private final ModelsViewModel models;
    private final SettingsViewModel settings;
    private final ChatViewModel chat;
    private final ObservableList<ConversationRecord> conversations = FXCollections.observableArrayList();
    private final FilteredList<ConversationRecord> visible = new FilteredList<>(conversations);
    private final StringProperty search = new SimpleStringProperty("");
    private final ObservableMap<String, SearchHit> hits = FXCollections.observableHashMap();
    private final ReadOnlyObjectWrapper<SearchHit> openedMatch = new ReadOnlyObjectWrapper<>();
    private final ObjectProperty<ConversationRecord> selected = new SimpleObjectProperty<>();
    private final ReadOnlyObjectWrapper<QuickStart> quickStart = new ReadOnlyObjectWrapper<>();
    private final AppPreferences prefs;
    private final ObjectProperty<Theme> theme = new SimpleObjectProperty<>(Theme.LIGHT);
    private final ObjectProperty<Locale> locale = new SimpleObjectProperty<>(Locale.ENGLISH);
    private final DoubleProperty fontSize = new SimpleDoubleProperty(AppPreferences.DEFAULT_FONT_SIZE);
    private final BooleanProperty sidebarShown = new SimpleBooleanProperty(true);
    private final DoubleProperty sidebarWidth = new SimpleDoubleProperty(AppPreferences.DEFAULT_SIDEBAR_WIDTH);
    private long refreshId;   // FX thread only; only the newest listing is shown
    private long searchId;    // FX thread only; only the newest search is shown

    /**
     * @param store the conversations
     * @param prefs keeps the user's own version of each quick start
     * @param models the model picker
     * @param settings the settings panel
     * @param chatFactory builds the chat, given the callback that refreshes the sidebar
     * @param fxThread runs callbacks on the FX thread
     * @param io reads the store off the FX thread
     */
    public MainViewModel(ConversationStore store, AppPreferences prefs, ModelsViewModel models,
            SettingsViewModel settings,
            Function<Runnable, ChatViewModel> chatFactory, Executor fxThread, Executor io) {
        this.store = store;
        this.prefs = prefs;
        this.models = models;
        this.settings = settings;
        this.fxThread = fxThread;
        this.io = io;
        this.chat = chatFactory.apply(this::refreshConversations);
        search.addListener((obs, was, now) -> search());
        selected.addListener((obs, was, now) -> {
            String id = now == null ? null : now.id();
            if (was != null && (now == null || !now.id().equals(was.id()))) {
                quickStart.set(null);
            }
            if (id == null || !id.equals(chat.getConversationId())) {
                chat.open(id);
                settings.load(now);
                openedMatch.set(id == null ? null : hits.get(id));
            }
        });
        chat.conversationIdProperty().addListener((obs, was, now) -> {
            selectById(now);
            if (now != null) {
                prefs.setLastConversation(now);
            }
        });
        models.loadedProperty().addListener((obs, was, now) -> {
            settings.modelDefaultsProperty().set(now == null ? null : now.defaults());
            settings.thinkingSupportedProperty().set(now != null && now.supportsThinking());
            if (now != null && chat.getConversationId() != null) {
                settings.useModel(now.name());
            }
        });
    }

    public ModelsViewModel models() {
        return models;
    }

    public SettingsViewModel settings() {
        return settings;
    }

    public ChatViewModel chat() {
        return chat;
    }

    /** The sidebar: conversations whose title or messages match the search, newest first. */
    public ObservableList<ConversationRecord> getConversations() {
        return visible;
    }

    /**
     * The sidebar's search text. It matches titles as typed, and message text through the store's
     * full-text search (whole words, the last one as a prefix).
     */
    public StringProperty searchProperty() {
        return search;
    }

    /** The best message match of a conversation for the current search, or null (none, or the title matched). */
    public SearchHit hitFor(ConversationRecord conversation) {
        return hits.get(conversation.id());
    }

    /**
     * The match the open conversation was opened at from the search, for the transcript to show;
     * null otherwise. {@link #matchShown()} clears it.
     */
    public ReadOnlyObjectProperty<SearchHit> openedMatchProperty() {
        return openedMatch.getReadOnlyProperty();
    }

    /** The transcript has shown the match it was opened at. */
    public void matchShown() {
        openedMatch.set(null);
    }

    /** Filters by title at once and by message text once the store answers, off the FX thread. */
    private void search() {
        long ticket = ++searchId;
        String query = search.get() == null ? "" : search.get().strip();
        hits.clear();
        filter(query);
        if (query.isEmpty()) {
            return;
        }
        CompletableFuture.supplyAsync(() -> store.search(query, SEARCH_LIMIT), io).thenAcceptAsync(found -> {
            if (ticket != searchId) {
                return;
            }
            for (SearchHit hit : found) {
                hits.putIfAbsent(hit.conversationId(), hit);   // best first: each conversation's best
            }
            filter(query);
        }, fxThread);
    }

    private void filter(String query) {
        String needle = query.toLowerCase(Locale.ROOT);
        visible.setPredicate(needle.isEmpty() ? null
                : c -> c.title().toLowerCase(Locale.ROOT).contains(needle) || hits.containsKey(c.id()));
    }

    /** The conversation open in the transcript, or null for a new, empty chat. */
    public ObjectProperty<ConversationRecord> selectedProperty() {
        return selected;
    }

    /** The quick start the open conversation began from, in this session; null for others. */
    public ReadOnlyObjectProperty<QuickStart> quickStartProperty() {
        return quickStart.getReadOnlyProperty();
    }

    public ObjectProperty<Theme> themeProperty() {
        return theme;
    }

    public ObjectProperty<Locale> localeProperty() {
        return locale;
    }

    public DoubleProperty fontSizeProperty() {
        return fontSize;
    }

    /** Whether the conversation list is shown; kept here so that a new language's view keeps it. */
    public BooleanProperty sidebarShownProperty() {
        return sidebarShown;
    }

    /** The conversation list's width in pixels, as the user last dragged it. */
    public DoubleProperty sidebarWidthProperty() {
        return sidebarWidth;
    }

    /** Opens an empty chat with the default settings; it is saved with its first message. */
    public void newChat() {
        selected.set(null);
        quickStart.set(null);
        chat.open(null);
        settings.load(null);
    }

    /**
     * Opens a new chat with a quick start's system prompt and preset, or with the user's own version
     * of the quick start if they saved one. Like any new chat it is saved with its first message,
     * so a quick start left unused leaves nothing behind.
     *
     * @param systemPrompt the quick start's system prompt in the user's language
     */
    public void newChat(QuickStart start, String systemPrompt) {
        newChat();
        quickStart.set(start);
        settings.applyQuickStart(systemPrompt, start.preset());
        ConversationSettings own = prefs.quickStartSettings(start.name());
        if (own != null) {
            settings.use(own);
        }
    }

    /** Makes the open conversation's settings what its quick start opens with from now on. */
    public void saveQuickStart() {
        if (quickStart.get() != null) {
            prefs.setQuickStartSettings(quickStart.get().name(), settings.current());
        }
    }

    public void rename(ConversationRecord conversation, String title) {
        if (title == null || title.isBlank()) {
            return;
        }
        store.rename(conversation.id(), title.strip());
        refreshConversations();
    }

    /** Deletes a conversation; if it was open, an empty chat takes its place. */
    public void delete(ConversationRecord conversation) {
        store.delete(conversation.id());
        conversations.removeIf(c -> c.id().equals(conversation.id()));
        if (conversation.id().equals(chat.getConversationId())) {
            newChat();
        }
    }

    /** Opens a conversation by its id, read off the FX thread, if it still exists (the last one, at start). */
    public void reopen(String id) {
        if (id == null) {
            return;
        }
        CompletableFuture.supplyAsync(() -> store.conversation(id), io).thenAcceptAsync(found -> {
            if (found.isPresent() && chat.getConversationId() == null && chat.getMessages().isEmpty()) {
                selected.set(found.get());
            }
        }, fxThread);
    }

    /** Reads the conversation list again, off the FX thread. */
    public void refreshConversations() {
        long ticket = ++refreshId;
        CompletableFuture.supplyAsync(store::conversations, io).thenAcceptAsync(list -> {
            if (ticket == refreshId) {
                show(list);
            }
        }, fxThread);
    }

    private void show(List<ConversationRecord> list) {
        conversations.setAll(list);
        selectById(chat.getConversationId());
    }

    private void selectById(String id) {
        ConversationRecord match = null;
        for (ConversationRecord c : conversations) {
            if (c.id().equals(id)) {
                match = c;
            }
        }
        if (match != null || id == null) {
            selected.set(match);
        }
    }
}
