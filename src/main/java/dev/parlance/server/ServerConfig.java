package dev.parlance.server;

import java.time.Duration;

/**
 * How {@code parlance serve} listens.
 *
 * @param host the address to bind; a non-loopback one needs an API key
 * @param port the TCP port; 0 picks a free one
 * @param apiKey the key clients must send as {@code Authorization: Bearer KEY}, or null for none
 * @param corsOrigin the browser origin allowed to call the API ({@code *} for any), or null for no CORS
 * @param queueLimit how many generation requests may be accepted at once, the one being answered
 *     included; more are refused with 429
 * @param maxBodyBytes the largest request body accepted; larger ones are refused with 413
 * @param idleTimeout how long a connection may stay silent while a request is being read or a
 *     response written before it is closed (slow or stalled clients)
 */
public record ServerConfig(String host, int port, String apiKey, String corsOrigin, int queueLimit,
        int maxBodyBytes, Duration idleTimeout) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_QUEUE_LIMIT = 8;
    public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public ServerConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("the port must be from 0 to 65535, was " + port);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key must not be empty (leave it out for none)");
        }
        if (queueLimit < 1) {
            throw new IllegalArgumentException("the queue must hold at least 1 request, was " + queueLimit);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("the body limit must be at least 1024 bytes, was " + maxBodyBytes);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("the idle timeout must be positive, was " + idleTimeout);
        }
    }

    /** Loopback on {@code port}, no key, no CORS, default limits. */
    public static ServerConfig loopback(int port) {
        return new ServerConfig(DEFAULT_HOST, port, null, null, DEFAULT_QUEUE_LIMIT, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_IDLE_TIMEOUT);
    }

    public ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, key, corsOrigin, queueLimit, maxBodyBytes, idleTimeout);
    }

    public ServerConfig withHost(String address) {
        return new ServerConfig(address, port, apiKey, corsOrigin, queueLimit, maxBodyBytes, idleTimeout);
    }

    public ServerConfig withCorsOrigin(String origin) {
        return new ServerConfig(host, port, apiKey, origin, queueLimit, maxBodyBytes, idleTimeout);
    }

    public ServerConfig withLimits(int queue, int bodyBytes, Duration idle) {
        return new ServerConfig(host, port, apiKey, corsOrigin, queue, bodyBytes, idle);
    }
}
