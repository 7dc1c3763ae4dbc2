package io.npmgateway.npm;

/**
 * A request the gateway will not serve because of what the client sent: a malformed name, path or header.
 * The server answers it with a 400 and the message as the JSON {@code error}, so the message must say what
 * was wrong in words a user can act on, and must never echo raw control characters.
 */
public final class InvalidRequestException extends RuntimeException {
    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
