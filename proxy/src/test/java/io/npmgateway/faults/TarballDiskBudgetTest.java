package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.StorageConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tarball store's disk budget ({@code storage.maxBytes}) seen from the outside: a gateway asked for more tarballs
 * than fit evicts the least recently used in the background until the store is within budget (as its scrape shows),
 * keeps serving the recent ones from the store, and fetches an evicted one again when it is asked for.
 *
 * <p>The budget counts tarball bytes. The disk space of evicted chunks comes back later, when BlobDB's garbage
 * collection rewrites their blob file during compaction; blob files are 256 MiB, so at this test's scale every chunk
 * is in one open blob file and the data directory does not shrink: its size is not asserted here.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TarballDiskBudgetTest extends GatewayAgainstStub {
    /** Two store chunks each (chunks are 256 KiB): evicting one deletes several keys. */
    private static final int TARBALL_BYTES = 300_000;
    private static final long BUDGET = 1_000_000;
    private static final int TARBALLS = 10;

    private static String name(int i) {
        return "budget-" + i;
    }

    @Test
    void leastRecentlyUsedTarballsAreEvictedToStayWithinTheBudgetAndFetchedAgainOnRequest() throws Exception {
        byte[][] bytes = new byte[TARBALLS][];
        for (int i = 0; i < TARBALLS; i++) {
            bytes[i] = UpstreamStub.randomBytes(TARBALL_BYTES, 100 + i);
            upstream.publish(name(i), "1.0.0", bytes[i]);
        }
        startGateway(CacheConfig.defaults(), new StorageConfig(BUDGET));

        for (int i = 0; i < TARBALLS; i++) {
            HttpResponse<byte[]> r = get(UpstreamStub.tarballPath(name(i), "1.0.0"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(bytes[i]);
        }
        long fits = BUDGET / TARBALL_BYTES;
        awaitCondition("the store is back within its budget", Duration.ofSeconds(30),
                () -> sample(scrape(), "npm_gateway_tarball_store_entries") <= fits);

        String scrape = scrape();
        assertThat(sample(scrape, "npm_gateway_tarball_store_size_bytes")).isLessThanOrEqualTo(BUDGET);
        assertThat(sample(scrape, "npm_gateway_tarball_store_entries")).isEqualTo(fits);
        assertThat(sample(scrape, "npm_gateway_tarball_store_evictions_total")).isEqualTo(TARBALLS - fits);

        // The most recent ones stayed: served from the store, without asking upstream.
        for (int i = TARBALLS - (int) fits; i < TARBALLS; i++) {
            HttpResponse<byte[]> kept = get(UpstreamStub.tarballPath(name(i), "1.0.0"));
            assertThat(kept.headers().firstValue("x-npm-gateway-cache")).as(name(i)).hasValue("hit");
            assertThat(kept.body()).isEqualTo(bytes[i]);
            assertThat(upstream.hits(UpstreamStub.tarballPath(name(i), "1.0.0"))).as(name(i)).isEqualTo(1);
        }
        // The oldest was evicted: asked for again, it is fetched again, whole, and stored again.
        String oldest = UpstreamStub.tarballPath(name(0), "1.0.0");
        HttpResponse<byte[]> again = get(oldest);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        assertThat(again.body()).isEqualTo(bytes[0]);
        assertThat(upstream.hits(oldest)).isEqualTo(2);
        awaitCondition("the store is back within its budget after the refetch", Duration.ofSeconds(30),
                () -> sample(scrape(), "npm_gateway_tarball_store_size_bytes") <= BUDGET);
        HttpResponse<byte[]> stored = get(oldest);
        assertThat(stored.headers().firstValue("x-npm-gateway-cache")).as("the refetched tarball is the newest")
                .hasValue("hit");
        assertThat(stored.body()).isEqualTo(bytes[0]);
        assertThat(upstream.hits(oldest)).isEqualTo(2);
    }
}
