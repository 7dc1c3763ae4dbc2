package io.npmgateway.storage;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's on-disk cache: one RocksDB database in one data directory holding both tiers, the packument documents
 * ({@link #metadata()}, the L2 under the proxy's in-memory cache) and the tarballs ({@link #tarballs()}). The proxy
 * opens it once at startup, before it listens, and closes it last at shutdown; an open failure is a
 * {@link StoreException} whose message says what to fix.
 *
 * <p>Opening also recovers from whatever the last run left: chunks of downloads that never committed are deleted, and
 * the tarball index is rebuilt from the manifests. The store owns one daemon thread for background work (access-time
 * flushes, eviction to the disk budget).
 */
public final class GatewayStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayStore.class);

    /**
     * How often recorded tarball accesses reach disk. A crash loses at most this much recency information, which only
     * shifts which tarballs are evicted first.
     */
    static final Duration ACCESS_FLUSH_INTERVAL = Duration.ofSeconds(10);

    private final StoreOptions options;
    private final Rocks rocks;
    private final Maintenance maintenance;
    private final TarballStore tarballs;
    private final MetadataStore metadata;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GatewayStore(StoreOptions options, Rocks rocks, Maintenance maintenance, TarballStore tarballs,
            MetadataStore metadata) {
        this.options = options;
        this.rocks = rocks;
        this.maintenance = maintenance;
        this.tarballs = tarballs;
        this.metadata = metadata;
    }

    /** Opens (creating if needed) the store, with the system clock. */
    /**
     * Loads RocksDB's native library (it is unpacked from the jar on first use, which takes a noticeable part of a
     * start-up) on a background thread, so that it overlaps with whatever the caller does before {@link #open}.
     */
    public static void preloadInBackground() {
        Thread loader = new Thread(() -> {
            try {
                org.rocksdb.RocksDB.loadLibrary();
            } catch (Throwable e) {
                // Only a head start: open() loads the library again and reports a real failure there. A process that
                // exits early (a configuration error) interrupts this load, and its trace must not reach the console.
            }
        }, "npm-gateway-rocksdb-preload");
        loader.setDaemon(true);
        loader.start();
    }

    public static GatewayStore open(StoreOptions options) {
        return open(options, Clock.systemUTC());
    }

    /**
     * Opens (creating if needed) the store.
     *
     * @param clock the time source for stored-at and last-access times, replaceable so tests control eviction order
     * @throws StoreException when the directory cannot be created or written, is in use by another process, or holds
     *                        a store this version cannot read
     */
    public static GatewayStore open(StoreOptions options, Clock clock) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(clock, "clock");
        Rocks rocks = Rocks.open(options.dataDir());
        Maintenance maintenance = null;
        try {
            StoreFormat.checkOrStamp(rocks);
            maintenance = new Maintenance("npm-gateway-store-maintenance");
            TarballStore tarballs = new TarballStore(rocks, options, clock, maintenance);
            MetadataStore metadata = new MetadataStore(rocks);
            TarballRecovery.Report report = tarballs.recoveryReport();
            log.info("store opened in {}: {} tarballs, {} bytes{}{}", options.dataDir(), report.tarballs(),
                    report.bytes(), options.bounded() ? " of a " + options.maxTarballBytes() + " byte budget" : "",
                    report.orphanDownloads() > 0 || report.unreadableManifests() > 0
                            ? "; recovery removed " + report.orphanDownloads() + " interrupted downloads and "
                                    + report.unreadableManifests() + " unreadable manifests"
                            : "");
            return new GatewayStore(options, rocks, maintenance, tarballs, metadata);
        } catch (RuntimeException e) {
            if (maintenance != null) {
                maintenance.close();
            }
            try {
                rocks.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    public TarballStore tarballs() {
        return tarballs;
    }

    public MetadataStore metadata() {
        return metadata;
    }

    public StoreOptions options() {
        return options;
    }

    /** The open database, for tests that inspect or damage what is on disk. */
    /** Whether the store is open and serving (readiness). */
    public boolean isOpen() {
        try {
            rocks.requireOpen();
            return true;
        } catch (StoreException e) {
            return false;
        }
    }

    Rocks rocks() {
        return rocks;
    }

    /** Waits for background work queued so far (an eviction pass, an access flush). For tests. */
    void awaitMaintenance() {
        maintenance.awaitQueued();
    }

    /**
     * Stops background work, writes pending access times and closes the database. Reads still running finish first;
     * later calls fail with a {@link StoreException}. Downloads still open are left to the next open's recovery, the
     * same path a crash takes.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        maintenance.close();
        try {
            tarballs.flushAccessTimes();
        } catch (StoreException e) {
            // Already closed, or the disk failed; recency is a hint, not data worth failing shutdown over.
            log.warn("could not write tarball access times at close: {}", e.getMessage());
        }
        rocks.close();
    }
}
