package dev.parlance.service.remote;

/**
 * One model of a server the user added, as the model picker offers it.
 *
 * @param server the server that serves it
 * @param id the model's id in the server's {@code /v1/models}
 */
public record RemoteModel(RemoteServer server, String id) {}
