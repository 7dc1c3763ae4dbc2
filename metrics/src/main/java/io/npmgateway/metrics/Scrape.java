package io.npmgateway.metrics;

import java.nio.charset.StandardCharsets;

/**
 * One rendering of every meter, ready to send as the body of a {@code /metrics} response.
 *
 * @param contentType the {@code Content-Type} header to send with it
 * @param body the exposition text, UTF-8
 */
public record Scrape(String contentType, byte[] body) {

    /** The body as text. */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
