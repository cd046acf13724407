package dev.parlance.chat.template;

/**
 * The value of a name or key that does not exist, as jinja2's default {@code Undefined}: it prints
 * as empty, is falsy, iterates as empty and has length 0, but any arithmetic, attribute or item
 * access on it fails.
 */
final class Undefined {
    private final String name;

    Undefined(String name) {
        this.name = name;
    }

    /** Fails the way jinja2 does when a template uses an undefined value as something real. */
    TemplateException error() {
        return new TemplateException("'" + name + "' is undefined");
    }

    @Override
    public String toString() {
        return "";
    }
}
