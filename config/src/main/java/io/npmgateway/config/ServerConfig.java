package io.npmgateway.config;

import java.time.Duration;

/**
 * Where the gateway listens and the URL clients use to reach it.
 *
 * @param bind        address to listen on
 * @param port        port to listen on; 0 picks a free one (tests)
 * @param publicUrl   the base URL written into rewritten tarball URLs, with any path prefix; {@code null} means
 *                    "derive it from the listening address". Never taken from a request's Host header.
 * @param idleTimeout a connection with no traffic for this long is closed (slow clients, idle keep-alives)
 * @param maxHeaderBytes the largest request head accepted; larger gets 431
 * @param maxPublishBytes the largest whole-document write body accepted ({@code npm publish} sends the tarball
 *                       base64-encoded inside its JSON, about 1.33 times the tarball), counted as it arrives; larger
 *                       gets 413. Such bodies are streamed to the write target, never held in memory, so the limit
 *                       costs no heap: it only keeps bodies the write target would refuse from being sent at all.
 *                       Small writes that are not streamed (dist-tags, compressed bodies) stay capped at 10 MB.
 * @param headerTimeout   the longest a client may take to send a request's head (request line and headers) once
 *                        it has started; longer gets 408 and the connection closed. The idle timeout alone does not
 *                        stop a client that dribbles a byte every few seconds (slowloris): each byte resets it.
 */
public record ServerConfig(String bind, int port, String publicUrl, Duration idleTimeout, int maxHeaderBytes,
        int maxPublishBytes, Duration headerTimeout) {

    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final int DEFAULT_PORT = 4873;
    /**
     * 1 GB of JSON, a tarball of about 750 MB: publish bodies stream through, so the gateway need not be the tighter
     * bound; the write target refuses what it will not take (its 413 comes back as it sent it).
     */
    public static final int DEFAULT_MAX_PUBLISH_BYTES = 1024 * 1024 * 1024;
    /** Real clients send a request head in one packet; a slow network still does it in well under a second. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(20);

    public ServerConfig {
        if (maxPublishBytes <= 0) {
            throw new IllegalArgumentException("maxPublishBytes must be positive");
        }
        if (headerTimeout == null || headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new IllegalArgumentException("headerTimeout must be positive");
        }
    }

    /** A server with the default request head timeout. */
    public ServerConfig(String bind, int port, String publicUrl, Duration idleTimeout, int maxHeaderBytes,
            int maxPublishBytes) {
        this(bind, port, publicUrl, idleTimeout, maxHeaderBytes, maxPublishBytes, DEFAULT_HEADER_TIMEOUT);
    }

    /** A server with the default publish limit. */
    public ServerConfig(String bind, int port, String publicUrl, Duration idleTimeout, int maxHeaderBytes) {
        this(bind, port, publicUrl, idleTimeout, maxHeaderBytes, DEFAULT_MAX_PUBLISH_BYTES);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_BIND, DEFAULT_PORT, null, Duration.ofSeconds(60), 16 * 1024);
    }

    public ServerConfig withBind(String newBind) {
        return new ServerConfig(newBind, port, publicUrl, idleTimeout, maxHeaderBytes, maxPublishBytes, headerTimeout);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(bind, newPort, publicUrl, idleTimeout, maxHeaderBytes, maxPublishBytes, headerTimeout);
    }

    public ServerConfig withPublicUrl(String newPublicUrl) {
        return new ServerConfig(bind, port, newPublicUrl, idleTimeout, maxHeaderBytes, maxPublishBytes, headerTimeout);
    }

    public ServerConfig withMaxPublishBytes(int newMaxPublishBytes) {
        return new ServerConfig(bind, port, publicUrl, idleTimeout, maxHeaderBytes, newMaxPublishBytes, headerTimeout);
    }

    public ServerConfig withIdleTimeout(Duration newIdleTimeout) {
        return new ServerConfig(bind, port, publicUrl, newIdleTimeout, maxHeaderBytes, maxPublishBytes, headerTimeout);
    }

    public ServerConfig withHeaderTimeout(Duration newHeaderTimeout) {
        return new ServerConfig(bind, port, publicUrl, idleTimeout, maxHeaderBytes, maxPublishBytes, newHeaderTimeout);
    }
}
