package io.npmgateway.upstream;

/**
 * An upstream call that failed for a reason the gateway reports to the client as 502 or 504 and counts in its
 * metrics. The message never contains credentials: it is built from the upstream id, the reason and details the
 * gateway itself chose, never from request headers.
 */
public final class UpstreamException extends RuntimeException {
    private final String upstreamId;
    private final UpstreamFailure failure;

    public UpstreamException(String upstreamId, UpstreamFailure failure, String detail) {
        super("upstream '" + upstreamId + "' " + failure.description() + (detail == null ? "" : ": " + detail),
                null, false, false);
        this.upstreamId = upstreamId;
        this.failure = failure;
    }

    public String upstreamId() {
        return upstreamId;
    }

    public UpstreamFailure failure() {
        return failure;
    }

    /** Whether the client should be told to retry later (504) rather than that the upstream is broken (502). */
    public boolean isTimeout() {
        return failure == UpstreamFailure.TIMEOUT;
    }
}
