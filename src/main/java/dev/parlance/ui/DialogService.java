package dev.parlance.ui;

import java.nio.file.Path;
import java.util.Optional;

/** The dialogs views open; an interface so UI tests can answer the native ones. */
public interface DialogService {
    /** Asks for a multi-line text, such as an edited message; empty if cancelled. */
    Optional<String> editText(String title, String initial);

    /** Asks for one line, such as a conversation's new name; empty if cancelled. */
    Optional<String> askLine(String title, String initial);

    /** Asks a yes/no question. */
    boolean confirm(String title, String message);

    /** Tells the user something went wrong, without waiting for them to close the message. */
    void warn(String title, String message);

    /** Shows information the user may want to copy, such as the About text, without waiting. */
    void inform(String title, String text);

    /** Lets the user pick a folder; empty if cancelled. */
    Optional<Path> chooseDirectory(String title, Path initial);

    /** Lets the user pick a GGUF model file; empty if cancelled. */
    Optional<Path> chooseModelFile(String title, Path initial);
}
