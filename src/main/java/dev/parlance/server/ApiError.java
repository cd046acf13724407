package dev.parlance.server;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/**
 * A request the server refuses, carried to the response as OpenAI's error object
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class ApiError extends Exception {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    /**
     * @param status the HTTP status
     * @param type OpenAI's error type ({@code invalid_request_error}, {@code server_error}, …)
     * @param param the request field at fault, or null
     * @param code a machine-readable code, or null
     */
    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field is missing, of the wrong type or out of range. */
    static ApiError invalid(String param, String code, String message) {
        return new ApiError(400, "invalid_request_error", param, code, message);
    }

    int status() {
        return status;
    }

    JsonObject toJson() {
        JsonObject error = new JsonObject();
        error.addProperty("message", getMessage());
        error.addProperty("type", type);
        error.add("param", param == null ? JsonNull.INSTANCE : new JsonPrimitive(param));
        error.add("code", code == null ? JsonNull.INSTANCE : new JsonPrimitive(code));
        JsonObject body = new JsonObject();
        body.add("error", error);
        return body;
    }
}
