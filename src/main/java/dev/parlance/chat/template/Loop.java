package dev.parlance.chat.template;

import java.util.List;

/** The {@code loop} variable inside a for loop: index, first, last, length, previtem, cycle(). */
final class Loop {
    private final List<Object> items;
    int index0;

    Loop(List<Object> items) {
        this.items = items;
    }

    Object attribute(String name) {
        int n = items.size();
        switch (name) {
            case "index0": return (long) index0;
            case "index": return (long) index0 + 1;
            case "revindex0": return (long) (n - index0 - 1);
            case "revindex": return (long) (n - index0);
            case "first": return index0 == 0;
            case "last": return index0 == n - 1;
            case "length": return (long) n;
            case "depth": return 1L;
            case "depth0": return 0L;
            case "previtem": return index0 > 0 ? items.get(index0 - 1) : new Undefined("previtem");
            case "nextitem": return index0 < n - 1 ? items.get(index0 + 1) : new Undefined("nextitem");
            case "cycle": return (Callable) (args, kwargs) -> {
                if (args.isEmpty()) {
                    throw new TemplateException("no items for cycling given");
                }
                return args.get(index0 % args.size());
            };
            default: return new Undefined("loop." + name);
        }
    }
}
