package io.npmgateway.server;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.npm.InvalidRequestException;
import io.npmgateway.storage.StoreFullException;
import io.npmgateway.tarball.TarballNotStoredException;
import io.npmgateway.upstream.UpstreamException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns whatever went wrong while answering into the one JSON error the client gets: its fault (400), the
 * upstream's (502, or 504 for a timeout, naming the upstream and the package), our full disk (507), or ours (500,
 * logged with the stack trace here and never sent to the client).
 */
final class Failures {
    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

    private Failures() {
    }

    static void respond(Exchange exchange, Throwable error, String subject) {
        Throwable cause = unwrap(error);
        if (cause instanceof InvalidRequestException) {
            exchange.error(HttpResponseStatus.BAD_REQUEST, cause.getMessage());
        } else if (cause instanceof UpstreamException) {
            UpstreamException u = (UpstreamException) cause;
            exchange.error(u.isTimeout() ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY,
                    u.getMessage() + " (while fetching " + subject + ")");
        } else if (cause instanceof TarballNotStoredException) {
            TarballNotStoredException t = (TarballNotStoredException) cause;
            // Logged without the stack: the operator needs the reason (a full or failing disk), not our frames.
            LOG.warn("{}: {}", t.getMessage(), t.getCause() == null ? "" : t.getCause().getMessage());
            exchange.error(t.diskFull() ? HttpResponseStatus.INSUFFICIENT_STORAGE
                    : HttpResponseStatus.SERVICE_UNAVAILABLE, t.getMessage());
        } else if (cause instanceof StoreFullException) {
            LOG.warn("while serving {}: {}", subject, cause.getMessage());
            exchange.error(HttpResponseStatus.INSUFFICIENT_STORAGE,
                    "the gateway could not store " + subject + ": no space left on its disk");
        } else {
            LOG.error("internal error while serving {}", subject, cause);
            exchange.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "internal error in the gateway while serving " + subject + "; see the gateway log");
        }
    }

    static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
