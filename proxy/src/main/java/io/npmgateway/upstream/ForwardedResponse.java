package io.npmgateway.upstream;

import java.util.Map;

/**
 * An upstream's whole answer to a request the gateway passes through (audit, search, writes): its status, the
 * headers a client may need to see, and the decoded body.
 *
 * @param status  the HTTP status
 * @param headers the response headers worth passing on ({@link #PASSED_ON}), by lower-case name
 * @param body    the decoded (gunzipped) body; empty when there was none
 */
public record ForwardedResponse(int status, Map<String, String> headers, byte[] body) {

    /**
     * Response headers a pass-through keeps: what the body is, the authentication challenge (npm reads
     * {@code otp} in it and prompts for a one-time password), npm's notice line, and where a 201 or 3xx points.
     * Hop-by-hop and framing headers are the gateway's own business.
     */
    public static final java.util.List<String> PASSED_ON = java.util.List.of("content-type", "www-authenticate",
            "npm-notice", "location", "retry-after");

    public ForwardedResponse {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
