package io.npmgateway.storage;

import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksObject;
import org.rocksdb.WALRecoveryMode;

/**
 * Every RocksDB option the store uses, with the reason for each, and the native objects that hold them.
 * Built once at {@link GatewayStore#open}; closed after the database.
 *
 * <p>The data is of two kinds: large values that are already compressed or compress well and are written once
 * (tarball chunks, packument bodies), and small hot records (manifests, access times, document headers). The
 * first kind goes to BlobDB blob files so that compaction moves 40-byte references instead of rewriting megabytes;
 * the second stays in ordinary SST files with a shared block cache.
 */
final class RocksConfig implements AutoCloseable {

    static final String METADATA_HEADERS = "metadata-headers";
    static final String METADATA_BODIES = "metadata-bodies";
    static final String TARBALL_MANIFESTS = "tarball-manifests";
    static final String TARBALL_ACCESS = "tarball-access";
    static final String TARBALL_CHUNKS = "tarball-chunks";
    static final String TARBALL_PENDING = "tarball-pending";

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;

    private final List<RocksObject> resources = new ArrayList<>();
    private final DBOptions dbOptions;
    private final List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();

    RocksConfig() {
        RocksDB.loadLibrary();
        // One small cache for the index and data blocks of the small-record families. Chunk and body reads do not
        // go through it: blob values are read straight from blob files (and the OS page cache).
        LRUCache blockCache = track(new LRUCache(32 * MIB));

        dbOptions = track(new DBOptions())
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                // The write-ahead log stays on (no WriteOptions.disableWAL anywhere): chunks and the manifest that
                // publishes them share one log, and point-in-time recovery replays it only up to the first damaged
                // record. So after a crash the store holds a prefix of what was written: a manifest that survived
                // implies that every chunk written before it survived too.
                .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                // A log file is deleted only when every family with data in it has flushed. The small families are
                // written rarely, so without a cap their memtables would pin gigabytes of chunk log.
                .setMaxTotalWalSize(256 * MIB)
                // Sync blob, SST and log files in the background 1 MiB at a time instead of in one long stall.
                .setBytesPerSync(MIB)
                .setWalBytesPerSync(MIB)
                .setMaxBackgroundJobs(Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())))
                // RocksDB's own LOG lives in the data directory; keep it from growing without bound.
                .setKeepLogFileNum(5)
                .setMaxLogFileSize(16 * MIB);

        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, track(new ColumnFamilyOptions())));
        descriptors.add(family(METADATA_HEADERS, smallRecords(blockCache, CompressionType.LZ4_COMPRESSION, true)));
        descriptors.add(family(METADATA_BODIES, metadataBodies(blockCache)));
        // Manifests and access times are mostly digests and counters, which do not compress; the keys are already
        // prefix-encoded inside each block. The in-memory index answers misses, so no bloom filter is needed.
        descriptors.add(family(TARBALL_MANIFESTS, smallRecords(blockCache, CompressionType.NO_COMPRESSION, false)));
        descriptors.add(family(TARBALL_ACCESS, smallRecords(blockCache, CompressionType.NO_COMPRESSION, false)));
        descriptors.add(family(TARBALL_PENDING, smallRecords(blockCache, CompressionType.NO_COMPRESSION, false)));
        descriptors.add(family(TARBALL_CHUNKS, tarballChunks(blockCache)));
    }

    DBOptions dbOptions() {
        return dbOptions;
    }

    /** The families in the order {@link Rocks} expects their handles. */
    List<ColumnFamilyDescriptor> descriptors() {
        return descriptors;
    }

    private ColumnFamilyOptions tarballChunks(LRUCache blockCache) {
        return track(new ColumnFamilyOptions())
                // Tarballs are gzip streams: compressing them again costs CPU and saves nothing.
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setEnableBlobFiles(true)
                .setBlobCompressionType(CompressionType.NO_COMPRESSION)
                // Chunks of 16 KiB and more go to blob files, so compaction rewrites only the 12-byte keys and blob
                // references. Smaller values (the tails of small tarballs, most of npm by count) stay inline: for
                // them an extra blob-file read would cost more than the compaction it saves.
                .setMinBlobSize(16 * KIB)
                .setBlobFileSize(256 * MIB)
                // Evicted tarballs leave dead space in blob files. Garbage collection relocates the live chunks out
                // of the oldest half of the blob files during compaction, and a blob file that is half garbage forces
                // that compaction, so the disk budget holds without waiting for unrelated writes to trigger it.
                .setEnableBlobGarbageCollection(true)
                .setBlobGarbageCollectionAgeCutoff(0.5)
                .setBlobGarbageCollectionForceThreshold(0.5)
                // Reads always ask for chunks a manifest says exist, so a bloom filter would only cost memory.
                .setTableFormatConfig(blockTable(blockCache, false));
    }

    private ColumnFamilyOptions metadataBodies(LRUCache blockCache) {
        return track(new ColumnFamilyOptions())
                // Packuments are JSON: LZ4 shrinks them several times at a cost far below parsing them.
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setEnableBlobFiles(true)
                .setBlobCompressionType(CompressionType.LZ4_COMPRESSION)
                // Documents of 30-40 MB exist and are rewritten on every upstream change; in blob files they are
                // written once per change instead of again at every compaction level.
                .setMinBlobSize(64 * KIB)
                .setBlobFileSize(256 * MIB)
                .setEnableBlobGarbageCollection(true)
                .setBlobGarbageCollectionAgeCutoff(0.5)
                .setBlobGarbageCollectionForceThreshold(0.5)
                .setTableFormatConfig(blockTable(blockCache, false));
    }

    private ColumnFamilyOptions smallRecords(LRUCache blockCache, CompressionType compression, boolean bloom) {
        return track(new ColumnFamilyOptions())
                .setCompressionType(compression)
                .setTableFormatConfig(blockTable(blockCache, bloom));
    }

    private BlockBasedTableConfig blockTable(LRUCache blockCache, boolean bloom) {
        BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(blockCache);
        if (bloom) {
            // Metadata lookups that miss the proxy's memory cache often miss here too (a package never seen);
            // ten bits per key answers almost all of those without a disk read.
            table.setFilterPolicy(track(new BloomFilter(10)));
        }
        return table;
    }

    private ColumnFamilyDescriptor family(String name, ColumnFamilyOptions options) {
        return new ColumnFamilyDescriptor(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), options);
    }

    private <T extends RocksObject> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void close() {
        // Reverse order: options before the cache and filters they point at.
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        resources.clear();
    }
}
