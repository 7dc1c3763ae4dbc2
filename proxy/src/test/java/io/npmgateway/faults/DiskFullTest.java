package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.testing.SmallFilesystem;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's data directory on a small tmpfs that the test fills to the last byte while the gateway runs. A
 * tarball that cannot be stored is still answered correctly (the published bytes, or a clear JSON 507 before any
 * byte), what was stored before is still served whole, the upstream is not blamed for the gateway's own disk, and
 * once the space is back the same running gateway stores new tarballs again.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DiskFullTest extends GatewayAgainstStub {
    /** How long the running gateway may take to store again once space returns. */
    private static final java.time.Duration RECOVERY = java.time.Duration.ofSeconds(60);
    @TempDir
    Path mountRoot;

    @Test
    void fullDiskFailsWritesCleanlyKeepsServingTheCacheAndRecoversWhenSpaceReturns() throws Exception {
        byte[] cachedTarball = UpstreamStub.randomBytes(600 * 1024, 1);
        byte[] newTarball = UpstreamStub.randomBytes(900 * 1024, 2);
        byte[] smallTarball = UpstreamStub.randomBytes(20 * 1024, 3);
        String cached = upstream.publish("cached-before", "1.0.0", cachedTarball);
        String fresh = upstream.publish("fetched-when-full", "1.0.0", newTarball);
        String small = upstream.publish("small-when-full", "1.0.0", smallTarball);

        try (SmallFilesystem fs = SmallFilesystem.mount(mountRoot.resolve("fs"), 48)) {
            // No file copies of tarballs: one made in the background while the test fills the disk would take
            // (or, failing, give back) space under it.
            startGateway(CacheConfig.defaults(), fs.path().resolve("data"), new StorageConfig(0, 0));
            HttpResponse<byte[]> first = get(cached);
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(get(cached).headers().firstValue("x-npm-gateway-cache")).hasValue("hit");

            long filled = fs.fill();
            assertThat(fs.usable()).as("free bytes after writing %d filler bytes", filled).isZero();

            for (String path : new String[] {fresh, small}) {
                byte[] published = path.equals(fresh) ? newTarball : smallTarball;
                HttpResponse<byte[]> whileFull = get(path);
                if (whileFull.statusCode() == 200) {
                    assertThat(whileFull.body()).as("%s served while the disk is full", path).isEqualTo(published);
                } else {
                    assertThat(whileFull.statusCode()).as("%s: %s", path, text(whileFull)).isEqualTo(507);
                    assertThat(error(whileFull)).contains("no space").contains(path.substring(0, path.indexOf('/')));
                }
            }
            upstream.publish("packument-when-full", "2.0.0", smallTarball);
            HttpResponse<byte[]> packument = get("packument-when-full");
            assertThat(packument.statusCode()).as("a packument fetched while the disk is full: %s", text(packument))
                    .isEqualTo(200);
            assertThat(text(packument)).contains("\"2.0.0\"").contains(UpstreamStub.integrity(smallTarball));

            HttpResponse<byte[]> stillCached = get(cached);
            assertThat(stillCached.statusCode()).isEqualTo(200);
            assertThat(stillCached.headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
            assertThat(stillCached.body()).as("a tarball stored before the disk filled").isEqualTo(cachedTarball);
            HttpResponse<byte[]> ready = get("-/ready");
            assertThat(text(ready)).as("the upstream is not marked down for the gateway's own disk")
                    .doesNotContain("\"down\"");

            fs.free();
            // The store may take a few seconds to notice the space (RocksDB's recovery from a full disk polls for
            // it): until then every answer must still be the published bytes or a clean 507, never anything else.
            long deadline = System.nanoTime() + RECOVERY.toNanos();
            int attempts = 0;
            while (true) {
                attempts++;
                HttpResponse<byte[]> afterFree = get(fresh);
                if (afterFree.statusCode() == 200) {
                    assertThat(afterFree.body()).isEqualTo(newTarball);
                    if ("hit".equals(afterFree.headers().firstValue("x-npm-gateway-cache").orElse(""))) {
                        break;
                    }
                } else {
                    assertThat(afterFree.statusCode()).as(text(afterFree)).isEqualTo(507);
                }
                assertThat(System.nanoTime()).as("stored again within %s of the space returning (%d attempts)",
                        RECOVERY, attempts).isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
            }
            HttpResponse<byte[]> smallNow = get(small);
            assertThat(smallNow.statusCode()).isEqualTo(200);
            assertThat(smallNow.body()).isEqualTo(smallTarball);
            assertThat(get(small).headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
            assertThat(get(cached).body()).isEqualTo(cachedTarball);
            String metrics = text(get("metrics"));
            assertThat(metrics).as("no upstream error counted for the gateway's own disk")
                    .doesNotContain("npm_gateway_upstream_errors_total{");
            gateway.close();
            gateway = null;
        }
    }
}
