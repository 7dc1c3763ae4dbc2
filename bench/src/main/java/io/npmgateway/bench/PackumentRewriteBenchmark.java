package io.npmgateway.bench;

import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RewrittenPackument;
import io.npmgateway.packument.CachedPackument;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a metadata cache miss costs in CPU once the upstream bytes have arrived: the streaming rewrite
 * ({@link PackumentRewriter#rewrite}, tarball URLs pointed at the gateway and the abbreviated document derived in
 * the same pass) and the encode step ({@link CachedPackument#encode}: gzip and ETag of both documents).
 *
 * <p>Both run once per upstream fetch, on the rewrite executor, never per request: a cache hit serves the stored
 * bytes. Their throughput therefore bounds how fast the gateway can absorb cold or revalidated-and-changed
 * packuments (a cold {@code npm install} of a large tree, or a popular 20 MB packument changing every few
 * minutes), and their latency is added to the first request for a package.
 *
 * <p>Scores are operations per second; the {@code bytes} secondary result is input bytes per second (the upstream
 * document for {@code rewrite}, full plus abbreviated output for {@code encode}), so MB/s is bytes / 10^6.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar PackumentRewriteBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// A fixed heap, so GC behaviour with 20 MB documents is the same on every machine.
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class PackumentRewriteBenchmark {

    /** Stands in for the configured public URL; its length, not its host, is what affects the output. */
    static final String PUBLIC_BASE_URL = "http://localhost:4873/";

    @Param({"MID", "LARGE"})
    public SyntheticPackuments.Size size;

    private PackumentRewriter rewriter;
    private PackageName name;
    private byte[] upstreamDocument;
    private RewrittenPackument rewritten;

    @Setup(Level.Trial)
    public void setUp() {
        rewriter = new PackumentRewriter(PUBLIC_BASE_URL);
        name = size.packageName();
        upstreamDocument = size.generate();
        rewritten = rewriter.rewrite(name, upstreamDocument);
        System.out.printf("%n%s: upstream %,d bytes, %d versions -> full %,d bytes, abbreviated %,d bytes%n",
                size, upstreamDocument.length, rewritten.versions().size(), rewritten.full().length,
                rewritten.abbreviated().length);
    }

    /** The streaming pass that produces both documents from upstream bytes. */
    @Benchmark
    public RewrittenPackument rewrite(BytesProcessed processed) {
        processed.add(upstreamDocument.length);
        return rewriter.rewrite(name, upstreamDocument);
    }

    /** gzip (level 6, or 1 above 8 MB) and SHA-256 ETag of the full and abbreviated documents. */
    @Benchmark
    public CachedPackument encode(BytesProcessed processed) {
        processed.add((long) rewritten.full().length + rewritten.abbreviated().length);
        return CachedPackument.encode(rewritten, "bench", "\"upstream-etag\"", null, 0L);
    }
}
