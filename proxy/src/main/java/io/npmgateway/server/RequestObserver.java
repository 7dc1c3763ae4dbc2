package io.npmgateway.server;

import io.npmgateway.metrics.GatewayMetrics;
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
            ACCESS.info(line(ex, status, nanos));
        }
    }

    private String line(Exchange ex, int status, long nanos) {
        String method = ex.request().method().name();
        String path = LogText.printable(ex.hasSecretInTarget() ? TOKEN_PATH + io.npmgateway.config.Secret.MASK
                : redacted(ex.request().uri()));
        String millis = tenths(nanos);
        String upstream = ex.upstreamId() == null ? "-" : ex.upstreamId();
        String client = client(ex.context().channel().remoteAddress());
        String time = AccessLogTime.format(System.currentTimeMillis());
        if (json) {
            return "{\"time\":\"" + time + "\",\"client\":\"" + client + "\",\"method\":\"" + method + "\",\"path\":\"" + path
                    + "\",\"status\":" + status + ",\"bytes\":" + ex.bytes() + ",\"ms\":"
                    + millis + ",\"cache\":\"" + ex.outcome().label()
                    + "\",\"upstream\":\"" + upstream + "\",\"complete\":" + ex.completed() + "}";
        }
        return time + " access " + client + " " + method + " " + path + " " + status + " " + ex.bytes() + "B "
                + millis + "ms cache=" + ex.outcome().label()
                + " upstream=" + upstream + (ex.completed() ? "" : " incomplete");
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
