package io.npmgateway.bench;

import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.RequestPathParser;
import io.npmgateway.packument.CacheOutcome;
import io.npmgateway.packument.CachedPackument;
import io.npmgateway.packument.PackumentLookup;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamChain;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A packument cache hit without the network: {@link PackumentService#lookup} answering a fresh entry from the
 * in-memory cache, then picking the stored gzip of the abbreviated document and its ETag, as the packument route
 * does for {@code npm install}.
 *
 * <p>This is the request path's promise: a hit costs no JSON work, whatever the document's size, because
 * rewriting and gzip happened once when the document was fetched. The scores should be in the tens to hundreds of
 * nanoseconds and must not move with document size; if they grow, something on the hit path started touching the
 * document. The cache is primed through the real {@link UpstreamChain} with the mid-sized synthetic packument
 * (a transport that answers once, then throws, so a miss fails the run).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar MetadataCacheHitBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class MetadataCacheHitBenchmark {

    /** npm's Accept header for installs: it selects the abbreviated document. */
    static final String NPM_ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

    private TempStore store;
    private GatewayMetrics metrics;
    private PackumentService service;
    private PackageName name;
    private RequestPathParser pathParser;
    private String rawPath;
    private String accept;

    @Setup(Level.Trial)
    public void setUp() {
        SyntheticPackuments.Size size = SyntheticPackuments.Size.MID;
        name = size.packageName();
        rawPath = "/" + name.escaped();
        accept = NPM_ACCEPT;
        pathParser = new RequestPathParser("/");
        metrics = new GatewayMetrics();
        PrimingTransport transport = new PrimingTransport(size.generate(), "\"bench-etag\"");
        UpstreamChain chain = new UpstreamChain(
                List.of(new Upstream(UpstreamConfig.of("bench", "http://upstream.example/"), transport, metrics)));
        PackumentRewriter rewriter = new PackumentRewriter(PackumentRewriteBenchmark.PUBLIC_BASE_URL);
        // An hour of freshness so no iteration crosses max-age and turns hits into revalidations.
        CacheConfig config = new CacheConfig(Duration.ofHours(1), null, 256L * 1024 * 1024, Duration.ofSeconds(30),
                128L * 1024 * 1024);
        // The disk tier is written on the priming fetch and never read again: fresh hits are memory only.
        store = TempStore.open();
        service = new PackumentService(chain, () -> rewriter, store.store().metadata(), config, Clock.systemUTC(),
                Runnable::run, metrics);

        PackumentLookup first = service.lookup(name).join();
        if (!(first instanceof PackumentLookup.Found found) || found.outcome() != CacheOutcome.MISS) {
            throw new IllegalStateException("priming lookup did not fetch the document: " + first);
        }
        PackumentLookup second = service.lookup(name).join();
        if (!(second instanceof PackumentLookup.Found hit) || hit.outcome() != CacheOutcome.HIT) {
            throw new IllegalStateException("second lookup was not a cache hit: " + second);
        }
        CachedPackument p = hit.packument();
        System.out.printf("%ncached %s: abbreviated %,d bytes, gzip %,d bytes%n", name,
                p.body(PackumentRepresentation.ABBREVIATED, false).length,
                p.body(PackumentRepresentation.ABBREVIATED, true).length);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        metrics.close();
        store.close();
    }

    /** The lookup alone: Caffeine get, freshness check, a completed future. */
    @Benchmark
    public PackumentLookup lookupHit() {
        return service.lookup(name).join();
    }

    /** The lookup plus what the route takes from the entry for npm: the corgi's ETag and its stored gzip. */
    @Benchmark
    public void lookupAndAbbreviatedGzipBody(Blackhole blackhole) {
        CachedPackument p = ((PackumentLookup.Found) service.lookup(name).join()).packument();
        blackhole.consume(p.etag(PackumentRepresentation.ABBREVIATED));
        blackhole.consume(p.served(PackumentRepresentation.ABBREVIATED, true));
    }

    /**
     * Everything a corgi hit does outside Netty: parse the path, negotiate the representation, look up, pick the
     * ETag and the body. The sum a cache hit adds to the socket work.
     */
    @Benchmark
    public void parseNegotiateLookupBody(Blackhole blackhole) {
        RegistryRequest.Packument request = (RegistryRequest.Packument) pathParser.parse(rawPath);
        PackumentRepresentation representation = PackumentRepresentation.negotiate(accept);
        CachedPackument p = ((PackumentLookup.Found) service.lookup(request.name()).join()).packument();
        blackhole.consume(p.etag(representation));
        blackhole.consume(p.served(representation, true));
    }
}
