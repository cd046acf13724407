package dev.parlance.inference;

import java.util.List;

/**
 * Holds back streamed text that might be the start of a stop string, so that a stop string is
 * never partly emitted, and cuts the text where one appears.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Adds a delta; returns the text now safe to emit. After a stop, {@link #stopped()} is true. */
    public String accept(String delta) {
        if (stopped) {
            return "";
        }
        pending.append(delta);
        int cut = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String safe = pending.substring(0, cut);
            pending.setLength(0);
            return safe;
        }
        int hold = 0;
        for (String stop : stops) {
            hold = Math.max(hold, overlap(pending, stop));
        }
        String safe = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return safe;
    }

    /** Text held back when generation ends for another reason: it was not a stop string after all. */
    public String flush() {
        String rest = stopped ? "" : pending.toString();
        pending.setLength(0);
        return rest;
    }

    public boolean stopped() {
        return stopped;
    }

    /** Longest suffix of {@code text} that is a proper prefix of {@code stop}. */
    private static int overlap(CharSequence text, String stop) {
        int max = Math.min(text.length(), stop.length() - 1);
        for (int n = max; n > 0; n--) {
            boolean match = true;
            for (int i = 0; i < n && match; i++) {
                match = text.charAt(text.length() - n + i) == stop.charAt(i);
            }
            if (match) {
                return n;
            }
        }
        return 0;
    }
}
