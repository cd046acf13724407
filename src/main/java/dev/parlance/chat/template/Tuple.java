package dev.parlance.chat.template;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/** An immutable Python tuple: a list that prints as {@code ('a', 1)}. */
final class Tuple extends AbstractList<Object> {
    private final Object[] items;

    Tuple(List<?> items) {
        this.items = items.toArray();
    }

    static Tuple of(Object... items) {
        return new Tuple(Arrays.asList(items));
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }
}
