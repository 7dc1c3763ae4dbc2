package io.npmgateway.bench;

import io.npmgateway.storage.CommitResult;
import io.npmgateway.storage.ExpectedIntegrity;
import io.npmgateway.storage.StoreOptions;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballStore;
import io.npmgateway.storage.TarballWriter;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A tarball cache hit as the store sees it: {@link TarballStore#find} (index lookup, manifest read, access
 * recorded) and then every chunk read with {@link TarballStore#readChunk}, either into one reused direct buffer
 * (how the proxy streams: RocksDB copies straight off-heap) or into a fresh {@code byte[]} per chunk.
 *
 * <p>Tarballs are immutable and served from the store forever, so after warm-up this is the path almost every
 * tarball request of an install takes; it bounds how many MB/s one core can hand to Netty. The store is a real
 * one in a temp directory (deleted at teardown), reopened after the writes so chunks are read from blob files
 * as for any tarball stored earlier, and small enough to stay in the OS page cache: this measures the store's own
 * overhead, not the disk.
 *
 * <p>Scores are operations (whole tarballs) per second; {@code bytes} is tarball bytes per second
 * (MB/s = bytes / 10^6). Sizes: 4 KB (a tiny utility), 300 KB (a typical library), 5 MB (a framework or a bundled
 * CLI); chunks are the store's default 256 KiB.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar TarballStoreReadBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class TarballStoreReadBenchmark {

    @Param({"4096", "307200", "5242880"})
    public int tarballBytes;

    private TempStore store;
    private TarballStore tarballs;
    private String key;

    /** Per thread, as the proxy has one pooled buffer per event loop. */
    @State(Scope.Thread)
    public static class Buffer {
        ByteBuffer direct;

        @Setup
        public void setUp() {
            direct = ByteBuffer.allocateDirect(StoreOptions.DEFAULT_CHUNK_SIZE);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        store = TempStore.open();
        tarballs = store.store().tarballs();
        key = "bench-pkg/-/bench-pkg-1.0.0-" + tarballBytes + ".tgz";
        // Random bytes: real tarballs are gzip and do not compress further, so RocksDB gets no help either.
        byte[] content = new byte[tarballBytes];
        new SplittableRandom(tarballBytes).nextBytes(content);
        try (TarballWriter writer = tarballs.begin(key)) {
            writer.append(content);
            if (!(writer.commit(ExpectedIntegrity.none()) instanceof CommitResult.Committed)) {
                throw new IllegalStateException("could not store the benchmark tarball");
            }
        }
        // A few neighbours, so find() and the chunk reads do not run against a one-entry store.
        for (int i = 0; i < 64; i++) {
            try (TarballWriter writer = tarballs.begin("neighbour-" + i + "/-/neighbour-" + i + "-1.0.0.tgz")) {
                writer.append(content, 0, Math.min(content.length, 16 * 1024));
                writer.commit(ExpectedIntegrity.none());
            }
        }
        // Without this every read would come from the memtable, which a real hit on an old tarball never does.
        store.reopen();
        tarballs = store.store().tarballs();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
    }

    @Benchmark
    public long findAndReadDirect(Buffer buffer, BytesProcessed processed) {
        TarballManifest manifest = tarballs.find(key).orElseThrow();
        ByteBuffer dst = buffer.direct;
        long total = 0;
        for (int i = 0; i < manifest.chunkCount(); i++) {
            dst.clear();
            total += tarballs.readChunk(manifest, i, dst);
        }
        processed.add(total);
        return total;
    }

    @Benchmark
    public long findAndReadArrays(Blackhole blackhole, BytesProcessed processed) {
        TarballManifest manifest = tarballs.find(key).orElseThrow();
        long total = 0;
        for (int i = 0; i < manifest.chunkCount(); i++) {
            byte[] chunk = tarballs.readChunk(manifest, i);
            blackhole.consume(chunk);
            total += chunk.length;
        }
        processed.add(total);
        return total;
    }
}
