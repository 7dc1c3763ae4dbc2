package io.npmgateway.server;

import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamFailure;
import io.npmgateway.upstream.UpstreamHealth;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * {@code /-/ready}: the gateway can serve when its store is open and it has somewhere to get packages from: an
 * upstream that is answering, or a warm cache (a gateway cut off from every upstream still serves what it has).
 * Each upstream is listed with its state: {@code up}, {@code down} (failing; not asked until its cool-down ends) or
 * {@code probing} (one request is finding out whether it is back).
 */
final class Readiness {
    private final BooleanSupplier storeOpen;
    private final LongSupplier cachedTarballs;
    private final List<Upstream> upstreams;

    Readiness(BooleanSupplier storeOpen, LongSupplier cachedTarballs, List<Upstream> upstreams) {
        this.storeOpen = storeOpen;
        this.cachedTarballs = cachedTarballs;
        this.upstreams = List.copyOf(upstreams);
    }

    /** The readiness document; {@code ready} is its verdict. */
    Report report() {
        boolean open = storeOpen.getAsBoolean();
        boolean anyUp = false;
        StringBuilder list = new StringBuilder("[");
        for (Upstream u : upstreams) {
            UpstreamHealth.State state = u.health().state();
            boolean up = state == UpstreamHealth.State.UP;
            anyUp |= up;
            UpstreamFailure last = u.health().lastFailure();
            if (list.length() > 1) {
                list.append(',');
            }
            list.append("{\"id\":\"").append(u.id()).append("\",\"state\":\"").append(state.label())
                    .append('"');
            if (last != null) {
                list.append(",\"lastFailure\":\"").append(last.label()).append('"');
            }
            if (!up) {
                list.append(",\"nextProbeInSeconds\":").append(u.health().secondsUntilProbe());
            }
            list.append('}');
        }
        list.append(']');
        long tarballs = open ? cachedTarballs.getAsLong() : 0;
        boolean ready = open && (anyUp || tarballs > 0);
        String json = "{\"status\":\"" + (ready ? "ready" : "not ready") + "\",\"store\":\""
                + (open ? "open" : "closed") + "\",\"cachedTarballs\":" + tarballs + ",\"upstreams\":" + list + "}";
        return new Report(ready, json);
    }

    record Report(boolean ready, String json) {
    }
}
