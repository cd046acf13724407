package dev.parlance.chat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Chat Completion JSON turned into the plain values chat templates take. */
public final class TemplateValues {
    private TemplateValues() {}

    /** Maps, lists, strings, booleans, null; integers as Long (as Python's int), other numbers as Double. */
    public static Object fromJson(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonElement item : (JsonArray) e) {
                list.add(fromJson(item));
            }
            return list;
        }
        if (e.isJsonObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            e.getAsJsonObject().entrySet().forEach(entry -> map.put(entry.getKey(), fromJson(entry.getValue())));
            return map;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            String text = p.getAsString();
            boolean integral = !text.contains(".") && !text.contains("e") && !text.contains("E");
            return integral ? (Object) p.getAsLong() : (Object) p.getAsDouble();
        }
        return p.getAsString();
    }
}
