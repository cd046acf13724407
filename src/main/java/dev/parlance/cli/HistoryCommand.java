package dev.parlance.cli;

import dev.parlance.inference.FinishReason;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreException;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code parlance history}: the saved conversations, newest first, with how their answers ended. */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = "Lists saved conversations with their message counts and how the answers ended.")
public final class HistoryCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneId.systemDefault());

    @Mixin
    private DataDirOption data;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (SqliteConversationStore store = data.open(err)) {
            List<ConversationRecord> conversations = store.conversations();
            out.println(conversations.isEmpty() ? "No conversations in " + store.file()
                    : conversations.size() + (conversations.size() == 1 ? " conversation" : " conversations")
                            + " in " + store.file());
            for (ConversationRecord conversation : conversations) {
                int count = store.messageCount(conversation.id());
                out.printf(Locale.ROOT, "%s  %-40s  %d %s%s  %s%n",
                        WHEN.format(conversation.updated()),
                        CliSupport.printable(conversation.title()),
                        count,
                        count == 1 ? "message" : "messages",
                        endings(store.finishCounts(conversation.id())),
                        conversation.id());
            }
            return 0;
        } catch (StoreException e) {
            err.println(e.getMessage());
            return 1;
        }
    }

    /** {@code "; answers: 3 stop, 1 interrupted"}, or nothing when there are no answers. */
    private static String endings(Map<FinishReason, Integer> counts) {
        List<String> parts = new ArrayList<>();
        counts.forEach((reason, n) ->
                parts.add(n + " " + reason.name().toLowerCase(Locale.ROOT).replace('_', ' ')));
        return parts.isEmpty() ? "" : "; answers: " + String.join(", ", parts);
    }
}
