package io.npmgateway.server;

import io.npmgateway.metrics.CacheOutcome;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.metrics.Route;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sees every request once it has been answered: records it in the metrics and writes its one access-log line
 * (method, path, status, bytes, duration, cache outcome, upstream). Nothing here sees request headers, so no
 * credential can reach the log. The line is complete as it is written (its own UTC timestamp, no logback pattern
 * around it), so a JSON line on stdout is one JSON object a log shipper can parse.
 */
final class RequestObserver {
    private static final Logger ACCESS = LoggerFactory.getLogger("npm-gateway.access");

    private final GatewayMetrics metrics;
    private final boolean json;

    RequestObserver(GatewayMetrics metrics, boolean json) {
        this.metrics = metrics;
        this.json = json;
    }

    void completed(Exchange ex) {
        long nanos = System.nanoTime() - ex.startNanos();
        int status = ex.status();
        metrics.requestCompleted(ex.route(), status, ex.outcome(), nanos, ex.bytes());
        if (ex.packageName() != null && status == 200 && ex.completed() && !ex.isHead()) {
            metrics.tarballServed(ex.packageName(), ex.upstreamId());
        }
        if (ACCESS.isInfoEnabled()) {
            String path = ex.hasSecretInTarget() ? TOKEN_PATH + io.npmgateway.config.Secret.MASK
                    : redacted(ex.request().uri());
            ACCESS.info(line(client(ex.context().channel().remoteAddress()), ex.request().method().name(), path,
                    status, ex.bytes(), nanos, ex.outcome().label(), ex.upstreamId(), ex.completed()));
        }
    }

    /**
     * A request refused in the pipeline before it reached a route (a malformed or too slow head, a body over its
     * limit): measured as route {@code other} with no cache part, and logged like any other request, so a flood of
     * them shows in the metrics and the log. {@code method} and {@code target} are null when the head was never
     * decoded (the log shows {@code -}).
     */
    void refused(SocketAddress remote, String method, String target, int status, long bytes, long startNanos,
            boolean completed) {
        long nanos = System.nanoTime() - startNanos;
        metrics.requestCompleted(Route.OTHER, status, CacheOutcome.NONE, nanos, bytes);
        if (ACCESS.isInfoEnabled()) {
            ACCESS.info(line(client(remote), method == null ? "-" : method,
                    target == null ? "-" : redacted(target), status, bytes, nanos, CacheOutcome.NONE.label(), null,
                    completed));
        }
    }

    private String line(String client, String rawMethod, String rawPath, int status, long bytes, long nanos,
            String cache, String upstreamId, boolean completed) {
        String method = LogText.printable(rawMethod);
        String path = LogText.printable(rawPath);
        String millis = tenths(nanos);
        String upstream = upstreamId == null ? "-" : upstreamId;
        String time = AccessLogTime.format(System.currentTimeMillis());
        if (json) {
            return "{\"time\":\"" + time + "\",\"client\":\"" + client + "\",\"method\":\"" + method
                    + "\",\"path\":\"" + path + "\",\"status\":" + status + ",\"bytes\":" + bytes + ",\"ms\":"
                    + millis + ",\"cache\":\"" + cache + "\",\"upstream\":\"" + upstream + "\",\"complete\":"
                    + completed + "}";
        }
        return time + " access " + client + " " + method + " " + path + " " + status + " " + bytes + "B "
                + millis + "ms cache=" + cache + " upstream=" + upstream + (completed ? "" : " incomplete");
    }

    /** Marks where a logout puts the token in the path ({@code DELETE /-/user/token/<token>}). */
    private static final String TOKEN_PATH = "/-/user/token/";

    /** The request target with the token of a logout replaced by {@code ***}: it is a credential. */
    static String redacted(String uri) {
        int at = uri.indexOf(TOKEN_PATH);
        return at < 0 ? uri : uri.substring(0, at + TOKEN_PATH.length()) + io.npmgateway.config.Secret.MASK;
    }

    /** Milliseconds with one decimal, without String.format (which costs more than the rest of the line). */
    static String tenths(long nanos) {
        long tenths = (nanos + 50_000) / 100_000;
        return (tenths / 10) + "." + (tenths % 10);
    }

    private static String client(SocketAddress address) {
        if (address instanceof InetSocketAddress) {
            return ((InetSocketAddress) address).getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }

    /** Paths are client input: escape quotes, backslashes and control characters before they reach a log. */
    static final class LogText {
        private LogText() {
        }

        static String printable(String text) {
            StringBuilder out = new StringBuilder(Math.min(text.length(), 300));
            for (int i = 0; i < text.length() && out.length() < 300; i++) {
                char c = text.charAt(i);
                if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c > 0x7e) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            if (text.length() > 300) {
                out.append("...");
            }
            return out.toString();
        }
    }
}
