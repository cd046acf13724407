package dev.parlance.store;

/** Deterministic everyday text for tests that need many messages. */
final class Filler {
    static final String[] WORDS = {
        "the", "weather", "garden", "recipe", "travel", "budget", "meeting", "python", "java", "coffee",
        "river", "mountain", "letter", "summary", "question", "answer", "morning", "evening", "train", "bicycle",
        "library", "window", "orange", "planet", "music", "history", "doctor", "market", "ocean", "pencil",
    };

    private Filler() {}

    /** A sentence of 12 to 40 words, the same for the same seed. */
    static String sentence(int seed) {
        long state = seed * 6364136223846793005L + 1442695040888963407L;
        int length = 12 + (int) Math.floorMod(state >>> 33, 29L);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            text.append(i == 0 ? "" : " ").append(WORDS[(int) Math.floorMod(state >>> 33, (long) WORDS.length)]);
        }
        return text.append('.').toString();
    }
}
