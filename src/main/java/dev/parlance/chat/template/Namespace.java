package dev.parlance.chat.template;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * jinja2's {@code namespace()}: the one mutable object a template may assign attributes to
 * ({@code {% set ns.found = true %}}), which is how templates carry state out of a loop.
 */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
