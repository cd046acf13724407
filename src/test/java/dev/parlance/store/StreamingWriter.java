package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The process that {@link CrashTest} kills: writes a short conversation, then streams an answer
 * word by word until it is killed. It announces each stage on standard output. With the argument
 * {@code pause}, it stops streaming after {@link #PAUSE_AT} words and waits to be stopped; without it,
 * it says "saved" once the writer's timer has saved at least {@link #SAVED_AFTER} words (the future
 * of that update has completed). The words come every 10 ms, as from a model.
 */
public final class StreamingWriter {
    /** Earlier exchanges written before the answer that gets cut off. */
    static final int EXCHANGES = 3;
    static final int PAUSE_AT = 60;
    /** After this many words, it waits for the writer's timer to save them and says "saved". */
    static final int SAVED_AFTER = 55;

    private StreamingWriter() {}

    /** The answer's text after {@code words} words; the crash test checks what survives against it. */
    static String story(int words) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : " ").append("word").append(i);
        }
        return text.toString();
    }

    public static void main(String[] args) throws InterruptedException {
        SqliteConversationStore store = SqliteConversationStore.open(Path.of(args[0]));
        ConversationRecord conversation = store.create("Crash", "tiny", ConversationSettings.DEFAULTS);
        System.out.println("conversation " + conversation.id());
        for (int i = 0; i < EXCHANGES; i++) {
            store.append(conversation.id(), Role.USER, "question " + i);
            MessageRecord answer = store.append(conversation.id(), Role.ASSISTANT, "");
            store.updateMessage(answer.id(), "answer " + i, "", new MessageStats(2, 10, 20), FinishReason.STOP);
        }
        store.append(conversation.id(), Role.USER, "Tell me a long story");
        MessageRecord answer = store.append(conversation.id(), Role.ASSISTANT, "");
        boolean pause = args.length > 1 && args[1].equals("pause");
        CompletableFuture<Void> saved = null;
        boolean announced = false;
        for (int words = 1; ; words++) {
            CompletableFuture<Void> written =
                    store.updateMessage(answer.id(), story(words), "", new MessageStats(words, 30, 100), null);
            if (words == 50) {
                System.out.println("streaming");
                System.out.flush();
            }
            if (words == SAVED_AFTER) {
                // completes when the writer's timer commits these words or later ones: nothing reads here
                saved = written;
            }
            if (!pause && !announced && saved != null && saved.isDone()) {
                System.out.println("saved");
                System.out.flush();
                announced = true;
            }
            if (pause && words == PAUSE_AT) {
                System.out.println("paused");
                System.out.flush();
                Thread.currentThread().join();
            }
            Thread.sleep(10);
        }
    }
}
