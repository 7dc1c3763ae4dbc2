package io.npmgateway.npm;

/**
 * An upstream answered a packument request with a document the gateway cannot use: invalid or truncated JSON,
 * nesting deeper than any real packument, a top level or {@code versions} that is not an object, or a
 * {@code name} that is not the package asked for.
 *
 * <p>Raised while rewriting the upstream bytes, before anything is cached; the metadata layer answers it with a
 * 502 whose body names the upstream and carries this message, so the message says what was wrong (and where)
 * without echoing raw upstream content. Unchecked because it crosses asynchronous callbacks.
 */
public final class MalformedPackumentException extends RuntimeException {
    public MalformedPackumentException(String message) {
        super(message);
    }

    public MalformedPackumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
