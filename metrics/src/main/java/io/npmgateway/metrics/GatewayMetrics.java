package io.npmgateway.metrics;

import com.github.benmanes.caffeine.cache.Cache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every meter the gateway exports, defined in one place, on one Prometheus registry.
 *
 * <p>The proxy creates one instance at start-up, calls the {@code bind...} methods once for each component
 * it owns (metadata cache, tarball store, upstreams, Netty allocator), calls the recording methods from the
 * request path, and answers {@code GET /metrics} with {@link #scrape(String)}.
 *
 * <p><b>Cost.</b> The recording methods are meant for event loops: after a label set's first use, a call is
 * an array or hash-map lookup and an atomic add, with no allocation and no string building. Meters are
 * created lazily, on a label set's first use, so a route or status that never happens exports no series.
 *
 * <p><b>Label hygiene.</b> Routes, cache outcomes, fetch kinds and error reasons are enums (the {@code String}
 * overloads map unknown text to {@code other}); HTTP statuses are reduced to their class; package names are
 * capped ({@link MetricsConfig#downloadsPackageLabelCap()}). Upstream ids come from configuration and are
 * exported as given. No method takes anything that could hold a secret.
 *
 * <p><b>Names.</b> Every gateway meter is exported under {@code npm_gateway_}; the JVM and process meters keep
 * Micrometer's standard names ({@code jvm_*}, {@code process_*}, {@code system_*}) so stock dashboards work.
 * The list, with labels and meaning, is in {@code metrics/README.md}.
 *
 * <p>Thread-safe. {@link #close()} stops the JVM GC listener and closes the registry.
 */
public final class GatewayMetrics implements AutoCloseable {

    /** Content type of the Prometheus text exposition format, version 0.0.4. */
    public static final String PROMETHEUS_TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Content type of the OpenMetrics text format, version 1.0.0. */
    public static final String OPENMETRICS_TEXT_CONTENT_TYPE =
            "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** The {@code package} label value downloads are counted under once the package label cap is reached. */
    public static final String OTHER_PACKAGE = "__other__";

    /** The {@code upstream} label value used when a caller passes a {@code null} upstream id. */
    public static final String UNKNOWN_UPSTREAM = "unknown";

    /** Upstream availability gauge value: reachable. */
    public static final int UPSTREAM_AVAILABLE = 1;

    /** Upstream availability gauge value: failing (for example, its circuit breaker is open). */
    public static final int UPSTREAM_UNAVAILABLE = 0;

    // Micrometer names; the Prometheus registry turns dots into underscores and adds unit and _total suffixes.
    static final String REQUESTS = "npm.gateway.requests";
    static final String SERVED_BYTES = "npm.gateway.served";
    static final String TARBALL_DOWNLOADS = "npm.gateway.tarball.downloads";
    static final String UPSTREAM_REQUESTS = "npm.gateway.upstream.requests";
    static final String UPSTREAM_ERRORS = "npm.gateway.upstream.errors";
    static final String INTEGRITY_FAILURES = "npm.gateway.integrity.failures";
    static final String COALESCED_REQUESTS = "npm.gateway.coalesced.requests";
    static final String STALE_RESPONSES = "npm.gateway.stale.responses";
    static final String TARBALL_STORE_SIZE = "npm.gateway.tarball.store.size";
    static final String TARBALL_STORE_ENTRIES = "npm.gateway.tarball.store.entries";
    static final String TARBALL_STORE_EVICTIONS = "npm.gateway.tarball.store.evictions";
    static final String TARBALL_FILE_CACHE_SIZE = "npm.gateway.tarball.file.cache.size";
    static final String TOKEN_REMAINING = "npm.gateway.upstream.token.remaining";
    static final String TOKEN_RENEWAL_FAILURES = "npm.gateway.upstream.token.renewal.failures";
    static final String UPSTREAM_AVAILABLE_GAUGE = "npm.gateway.upstream.available";
    static final String NETTY_ALLOCATOR_USED = "npm.gateway.netty.allocator.used";
    /** Micrometer's cache binders name their meters {@code cache.*}; they are exported under this prefix. */
    static final String CACHE_PREFIX = "npm.gateway.cache.";
    static final String METADATA_CACHE_NAME = "metadata";

    /**
     * Latency buckets for requests and upstream fetches: 0.1 ms (a cache hit served from memory) to 30 s (a
     * large tarball over a slow link); slower lands in {@code +Inf}. Fixed buckets, not Micrometer's percentile
     * histogram, to keep about 18 series per label set.
     */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
        Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30),
    };

    private static final Route[] ROUTES = Route.values();
    private static final CacheOutcome[] OUTCOMES = CacheOutcome.values();
    private static final StatusClass[] STATUSES = StatusClass.values();
    private static final FetchKind[] KINDS = FetchKind.values();
    private static final UpstreamErrorReason[] REASONS = UpstreamErrorReason.values();

    private final MetricsConfig config;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Indexed by {@link #requestSlot}: route x status class x cache outcome. */
    private final AtomicReferenceArray<Timer> requestTimers =
            new AtomicReferenceArray<>(ROUTES.length * STATUSES.length * OUTCOMES.length);
    private final AtomicReferenceArray<Counter> servedBytes = new AtomicReferenceArray<>(ROUTES.length);
    private final AtomicReferenceArray<Counter> coalesced = new AtomicReferenceArray<>(KINDS.length);
    private final Counter staleResponses;
    private final Map<String, UpstreamMeters> upstreams = new ConcurrentHashMap<>();

    /** Admitted packages: name to (upstream id to counter). Holds at most the cap's number of keys. */
    private final Map<String, Map<String, Counter>> downloads = new ConcurrentHashMap<>();
    private final Map<String, Counter> otherDownloads = new ConcurrentHashMap<>();
    private final AtomicInteger admittedPackages = new AtomicInteger();

    /** Live bindings by what they bind; also the lock for binding and unbinding. */
    private final Map<String, Binding> bindings = new HashMap<>();

    /** Metrics with {@link MetricsConfig#defaults()}. */
    public GatewayMetrics() {
        this(MetricsConfig.defaults());
    }

    public GatewayMetrics(MetricsConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(NAMING);

        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        bindProcessCpuSeconds();

        staleResponses = Counter.builder(STALE_RESPONSES)
                .description("Responses served from a stale cached copy because every upstream failed (stale-if-error)")
                .baseUnit("responses")
                .register(registry);
    }

    /**
     * Keeps the standard binders' output lint-clean and the gateway's meters under one prefix:
     * <ul>
     *   <li>Micrometer's cache binders name meters {@code cache.*}: exported as {@code npm_gateway_cache_*}.
     *   <li>{@code system.cpu.count} (a gauge whose {@code _count} suffix promtool rejects) is exported as
     *       {@code system_cpu_processors}.
     *   <li>{@code process.cpu.time} (nanoseconds, an abbreviated unit promtool rejects) is replaced by
     *       {@code process_cpu_seconds_total}, the name Prometheus's own clients use.
     * </ul>
     */
    private static final MeterFilter NAMING = new MeterFilter() {
        @Override
        public MeterFilterReply accept(Meter.Id id) {
            return id.getName().equals("process.cpu.time") ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
        }

        @Override
        public Meter.Id map(Meter.Id id) {
            String name = id.getName();
            if (name.startsWith("cache.")) {
                return id.withName(CACHE_PREFIX + name.substring("cache.".length()));
            }
            if (name.equals("system.cpu.count")) {
                return id.withName("system.cpu.processors");
            }
            return id;
        }
    };

    private void bindProcessCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, bean -> {
                        long nanos = bean.getProcessCpuTime();
                        return nanos < 0 ? Double.NaN : nanos / 1e9;
                    })
                    .description("CPU time the Java virtual machine process has used")
                    .baseUnit("seconds")
                    .register(registry);
        }
    }

    /** The configuration this instance was built with. */
    public MetricsConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- client requests

    /**
     * Records one answered client request: its latency in {@code npm_gateway_requests_seconds} and its body
     * bytes in {@code npm_gateway_served_bytes_total}. Call once per request, when the last byte is written
     * (or the exchange is abandoned).
     *
     * @param route the route that answered; {@code null} counts as {@link Route#OTHER}
     * @param status the HTTP status sent; 0 (or anything outside 100-599) when none was sent
     * @param outcome how the cache took part; {@code null} counts as {@link CacheOutcome#NONE}
     * @param nanos time from the request's first byte to the response's last, in nanoseconds
     * @param bytesSent response body bytes written (after compression); negative counts as 0
     */
    public void requestCompleted(Route route, int status, CacheOutcome outcome, long nanos, long bytesSent) {
        Route r = route == null ? Route.OTHER : route;
        CacheOutcome o = outcome == null ? CacheOutcome.NONE : outcome;
        int slot = requestSlot(r, StatusClass.of(status), o);
        Timer timer = requestTimers.get(slot);
        if (timer == null) {
            timer = createRequestTimer(slot, r, StatusClass.of(status), o);
        }
        timer.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        if (bytesSent > 0) {
            Counter bytes = servedBytes.get(r.ordinal());
            if (bytes == null) {
                bytes = createServedBytes(r);
            }
            bytes.increment(bytesSent);
        }
    }

    private static int requestSlot(Route route, StatusClass status, CacheOutcome outcome) {
        return (route.ordinal() * STATUSES.length + status.ordinal()) * OUTCOMES.length + outcome.ordinal();
    }

    private Timer createRequestTimer(int slot, Route route, StatusClass status, CacheOutcome outcome) {
        Timer timer = latencyTimer(REQUESTS)
                .description("Client requests answered, by route, HTTP status class and cache outcome; "
                        + "latency from request to last response byte")
                .tags("route", route.label(), "status", status.label(), "cache", outcome.label())
                .register(registry);
        requestTimers.set(slot, timer); // registering twice returns the same meter, so a race is harmless
        return timer;
    }

    private Counter createServedBytes(Route route) {
        Counter counter = Counter.builder(SERVED_BYTES)
                .description("Response body bytes sent to clients, by route")
                .baseUnit("bytes")
                .tag("route", route.label())
                .register(registry);
        servedBytes.set(route.ordinal(), counter);
        return counter;
    }

    private Timer.Builder latencyTimer(String name) {
        Timer.Builder builder = Timer.builder(name).publishPercentileHistogram(false);
        if (config.histograms()) {
            builder.serviceLevelObjectives(LATENCY_BUCKETS);
        }
        return builder;
    }

    // ---------------------------------------------------------------- downloads

    /**
     * Counts one tarball served to a client (from the store or streamed from upstream) in
     * {@code npm_gateway_tarball_downloads_total}. The first {@link MetricsConfig#downloadsPackageLabelCap()}
     * distinct package names get their own label; later ones count under {@value #OTHER_PACKAGE}.
     *
     * @param packageName the package's name, scope included ({@code @scope/name}); {@code null} counts as
     *     {@value #OTHER_PACKAGE}
     * @param upstreamId the upstream the tarball came from (for a stored tarball, the one it was fetched from)
     */
    public void tarballServed(String packageName, String upstreamId) {
        String upstream = upstreamId == null ? UNKNOWN_UPSTREAM : upstreamId;
        Map<String, Counter> byUpstream = packageName == null ? null : admittedPackage(packageName);
        if (byUpstream == null) {
            byUpstream = otherDownloads;
            packageName = OTHER_PACKAGE;
        }
        Counter counter = byUpstream.get(upstream);
        if (counter == null) {
            counter = createDownloads(byUpstream, packageName, upstream);
        }
        counter.increment();
    }

    /** The package's counters, admitting it if the cap allows; {@code null} when it is over the cap. */
    private Map<String, Counter> admittedPackage(String packageName) {
        Map<String, Counter> byUpstream = downloads.get(packageName);
        if (byUpstream != null || admittedPackages.get() >= config.downloadsPackageLabelCap()) {
            return byUpstream;
        }
        // A null result from the function stores nothing: rejected names never take memory.
        return downloads.computeIfAbsent(packageName, name -> {
            if (admittedPackages.incrementAndGet() > config.downloadsPackageLabelCap()) {
                admittedPackages.decrementAndGet();
                return null;
            }
            return new ConcurrentHashMap<>();
        });
    }

    private Counter createDownloads(Map<String, Counter> byUpstream, String packageName, String upstream) {
        return byUpstream.computeIfAbsent(upstream, u -> Counter.builder(TARBALL_DOWNLOADS)
                .description("Tarballs served to clients, by package (capped; the rest under package=\""
                        + OTHER_PACKAGE + "\") and upstream")
                .baseUnit("downloads")
                .tags("package", packageName, "upstream", u)
                .register(registry));
    }

    // ---------------------------------------------------------------- upstream requests

    /**
     * Records one request to an upstream that got a response (any status) in
     * {@code npm_gateway_upstream_requests_seconds}. Requests that got no response are counted with
     * {@link #upstreamError(String, UpstreamErrorReason)} only (or recorded here with status 0, as the proxy
     * prefers; the {@code status} label is then {@code none}).
     *
     * @param upstreamId the upstream's configured id
     * @param kind {@code packument} or {@code tarball} ({@link FetchKind#fromLabel}); anything else is
     *     {@code other}
     * @param status the upstream's HTTP status
     * @param nanos time from sending the request to the last body byte (or to the response head when the
     *     body is streamed elsewhere and timed there), in nanoseconds
     */
    public void upstreamRequest(String upstreamId, String kind, int status, long nanos) {
        upstreamRequest(upstreamId, FetchKind.fromLabel(kind), status, nanos);
    }

    /** {@link #upstreamRequest(String, String, int, long)} with the kind as an enum. */
    public void upstreamRequest(String upstreamId, FetchKind kind, int status, long nanos) {
        upstream(upstreamId).request(kind == null ? FetchKind.OTHER : kind, StatusClass.of(status))
                .record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /**
     * Counts one failed upstream request in {@code npm_gateway_upstream_errors_total}.
     *
     * @param reason one of the {@link UpstreamErrorReason} labels ({@code timeout}, {@code connect},
     *     {@code tls}, {@code 4xx}, {@code 5xx}, {@code integrity}, {@code truncated}, {@code invalid},
     *     {@code too_large}, {@code unauthorized}, {@code redirect}); anything else counts as {@code other}
     */
    public void upstreamError(String upstreamId, String reason) {
        upstreamError(upstreamId, UpstreamErrorReason.fromLabel(reason));
    }

    /**
     * {@link #upstreamError(String, String)} with the reason as an enum. {@link UpstreamErrorReason#INTEGRITY}
     * is the same as {@link #integrityFailure(String)}: call one or the other for a failure, not both.
     */
    public void upstreamError(String upstreamId, UpstreamErrorReason reason) {
        UpstreamErrorReason r = reason == null ? UpstreamErrorReason.OTHER : reason;
        UpstreamMeters meters = upstream(upstreamId);
        meters.error(r).increment();
        if (r == UpstreamErrorReason.INTEGRITY) {
            meters.integrityFailures().increment();
        }
    }

    /**
     * Counts a tarball from this upstream whose bytes did not match the packument's integrity, in
     * {@code npm_gateway_integrity_failures_total} and as an upstream error with reason {@code integrity}.
     */
    public void integrityFailure(String upstreamId) {
        upstreamError(upstreamId, UpstreamErrorReason.INTEGRITY);
    }

    private UpstreamMeters upstream(String upstreamId) {
        String id = upstreamId == null ? UNKNOWN_UPSTREAM : upstreamId;
        UpstreamMeters meters = upstreams.get(id);
        return meters != null ? meters : upstreams.computeIfAbsent(id, UpstreamMeters::new);
    }

    /** One upstream's lazily created meters. */
    private final class UpstreamMeters {
        private final String id;
        private final AtomicReferenceArray<Timer> requests = new AtomicReferenceArray<>(KINDS.length * STATUSES.length);
        private final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(REASONS.length);
        private volatile Counter integrityFailures;

        UpstreamMeters(String id) {
            this.id = id;
        }

        Timer request(FetchKind kind, StatusClass status) {
            int slot = kind.ordinal() * STATUSES.length + status.ordinal();
            Timer timer = requests.get(slot);
            if (timer == null) {
                timer = latencyTimer(UPSTREAM_REQUESTS)
                        .description("Requests sent to upstream registries that got a response, by upstream, "
                                + "kind and HTTP status class; latency to the last body byte")
                        .tags("upstream", id, "kind", kind.label(), "status", status.label())
                        .register(registry);
                requests.set(slot, timer);
            }
            return timer;
        }

        Counter error(UpstreamErrorReason reason) {
            Counter counter = errors.get(reason.ordinal());
            if (counter == null) {
                counter = Counter.builder(UPSTREAM_ERRORS)
                        .description("Failed upstream requests, by upstream and reason")
                        .baseUnit("errors")
                        .tags("upstream", id, "reason", reason.label())
                        .register(registry);
                errors.set(reason.ordinal(), counter);
            }
            return counter;
        }

        Counter integrityFailures() {
            Counter counter = integrityFailures;
            if (counter == null) {
                counter = Counter.builder(INTEGRITY_FAILURES)
                        .description("Tarballs from an upstream whose bytes did not match the packument's "
                                + "integrity or shasum (never stored or served)")
                        .baseUnit("failures")
                        .tag("upstream", id)
                        .register(registry);
                integrityFailures = counter;
            }
            return counter;
        }
    }

    // ---------------------------------------------------------------- coalescing, staleness

    /**
     * Counts one request that joined an upstream fetch already in flight for the same document or tarball,
     * instead of making its own ({@code npm_gateway_coalesced_requests_total}).
     *
     * @param kind {@code packument} or {@code tarball}; anything else counts as {@code other}
     */
    public void coalesced(String kind) {
        coalesced(FetchKind.fromLabel(kind));
    }

    /** {@link #coalesced(String)} with the kind as an enum. */
    public void coalesced(FetchKind kind) {
        FetchKind k = kind == null ? FetchKind.OTHER : kind;
        Counter counter = coalesced.get(k.ordinal());
        if (counter == null) {
            counter = Counter.builder(COALESCED_REQUESTS)
                    .description("Requests that joined an upstream fetch already in flight instead of making "
                            + "their own, by kind")
                    .baseUnit("requests")
                    .tag("kind", k.label())
                    .register(registry);
            coalesced.set(k.ordinal(), counter);
        }
        counter.increment();
    }

    /** Counts one response served from a stale cached copy because every upstream failed. */
    public void staleServed() {
        staleResponses.increment();
    }

    // ---------------------------------------------------------------- bound components

    /**
     * Exports a Caffeine cache's statistics as the metadata cache: {@code npm_gateway_cache_size},
     * {@code npm_gateway_cache_weight_bytes} (what its weigher counts),
     * {@code npm_gateway_cache_gets_total{result="hit"|"miss"}}, {@code npm_gateway_cache_puts_total},
     * {@code npm_gateway_cache_evictions_total} and {@code npm_gateway_cache_eviction_weight_total}, all with
     * {@code cache="metadata"} (through Micrometer's {@link CaffeineCacheMetrics}). The cache must be built with
     * {@code Caffeine.recordStats()}, or hits, misses and evictions stay at 0. Binding another cache replaces
     * this one.
     */
    public MeterBinding bindMetadataCache(Cache<?, ?> cache) {
        Objects.requireNonNull(cache, "cache");
        return bind("cache:" + METADATA_CACHE_NAME, () -> {
            monitor(cache);
            List<Meter> meters = new ArrayList<>();
            for (Meter meter : registry.getMeters()) {
                Meter.Id id = meter.getId();
                if (id.getName().startsWith(CACHE_PREFIX) && METADATA_CACHE_NAME.equals(id.getTag("cache"))) {
                    meters.add(meter);
                }
            }
            return meters;
        });
    }

    private <K, V> void monitor(Cache<K, V> cache) {
        CaffeineCacheMetrics.monitor(registry, cache, METADATA_CACHE_NAME);
        // Reads 0 for a cache not bounded by weight (the gateway's always is).
        Gauge.builder(CACHE_PREFIX + "weight", cache, c -> c.policy().eviction()
                        .map(e -> e.weightedSize().orElse(0L)).orElse(0L))
                .description("Bytes the metadata cache holds, as its weigher counts them; compare with "
                        + "cache.metadata.maxMemory")
                .baseUnit("bytes")
                .tag("cache", METADATA_CACHE_NAME)
                .register(registry);
    }

    /**
     * Exports the tarball store's state: {@code npm_gateway_tarball_store_size_bytes} and
     * {@code npm_gateway_tarball_store_entries} (gauges), {@code npm_gateway_tarball_store_evictions_total}
     * (a counter that reads the store's own running total). The suppliers are called on each scrape, from the
     * scraping thread; they must be cheap and thread-safe. Binding again replaces the earlier suppliers.
     *
     * @param bytes bytes the stored tarballs take on disk
     * @param entries tarballs stored
     * @param evictions tarballs evicted since the store opened (monotonic)
     */
    public MeterBinding bindTarballStore(LongSupplier bytes, LongSupplier entries, LongSupplier evictions) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(entries, "entries");
        Objects.requireNonNull(evictions, "evictions");
        // FunctionCounter keeps only a weak reference to its supplier and has no strongReference option: the
        // binding holds it, or a method reference made for this call is collected and the counter freezes at 0.
        return bind("tarball-store", List.of(evictions), () -> List.of(
                Gauge.builder(TARBALL_STORE_SIZE, bytes, GatewayMetrics::asDouble)
                        .description("Bytes the tarball store's stored tarballs take on disk")
                        .baseUnit("bytes")
                        .strongReference(true)
                        .register(registry),
                Gauge.builder(TARBALL_STORE_ENTRIES, entries, GatewayMetrics::asDouble)
                        .description("Tarballs in the tarball store")
                        .baseUnit("entries")
                        .strongReference(true)
                        .register(registry),
                FunctionCounter.builder(TARBALL_STORE_EVICTIONS, evictions, GatewayMetrics::asDouble)
                        .description("Tarballs evicted from the tarball store to stay under its disk budget")
                        .baseUnit("evictions")
                        .register(registry)));
    }

    /**
     * Exports {@code npm_gateway_tarball_file_cache_size_bytes}: what the plain-file copies of often-served tarballs
     * take on disk, to compare with {@code storage.fileCache}. Called on each scrape; must be cheap and thread-safe.
     */
    public MeterBinding bindTarballFileCache(LongSupplier bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return bind("tarball-file-cache", List.of(), () -> List.of(
                Gauge.builder(TARBALL_FILE_CACHE_SIZE, bytes, GatewayMetrics::asDouble)
                        .description("Bytes the file copies of often-served tarballs take on disk, sent with "
                                + "sendfile; on top of the tarball store")
                        .baseUnit("bytes")
                        .strongReference(true)
                        .register(registry)));
    }

    /**
     * Exports one upstream's credential and availability state, labelled {@code upstream=<id>}:
     * {@code npm_gateway_upstream_token_remaining_seconds} (seconds until its token expires; NaN when it has no
     * expiring token), {@code npm_gateway_upstream_token_renewal_failures_total} and
     * {@code npm_gateway_upstream_available}. Binding the same id again replaces the earlier suppliers (for a
     * configuration reload); close the binding when the upstream is removed. The suppliers are called on
     * each scrape and must be cheap and thread-safe; the token supplier must return a number, never the token.
     *
     * @param secondsUntilTokenExpiry seconds until the current token expires (negative once expired), or
     *     {@link Double#NaN} when the upstream uses no expiring token
     * @param renewalFailures failed token renewals since start (monotonic)
     * @param availability {@value #UPSTREAM_AVAILABLE} when the upstream is reachable,
     *     {@value #UPSTREAM_UNAVAILABLE} when it is failing
     */
    public MeterBinding bindUpstream(String upstreamId, DoubleSupplier secondsUntilTokenExpiry,
            LongSupplier renewalFailures, IntSupplier availability) {
        Objects.requireNonNull(upstreamId, "upstreamId");
        Objects.requireNonNull(secondsUntilTokenExpiry, "secondsUntilTokenExpiry");
        Objects.requireNonNull(renewalFailures, "renewalFailures");
        Objects.requireNonNull(availability, "availability");
        Tags tags = Tags.of("upstream", upstreamId);
        return bind("upstream:" + upstreamId, List.of(renewalFailures), () -> List.of(
                Gauge.builder(TOKEN_REMAINING, secondsUntilTokenExpiry, DoubleSupplier::getAsDouble)
                        .description("Seconds until the upstream's current credential token expires "
                                + "(negative: expired; NaN: no expiring token)")
                        .baseUnit("seconds")
                        .tags(tags)
                        .strongReference(true)
                        .register(registry),
                FunctionCounter.builder(TOKEN_RENEWAL_FAILURES, renewalFailures, GatewayMetrics::asDouble)
                        .description("Failed attempts to renew the upstream's credential token")
                        .baseUnit("failures")
                        .tags(tags)
                        .register(registry),
                Gauge.builder(UPSTREAM_AVAILABLE_GAUGE, availability, IntSupplier::getAsInt)
                        .description("Whether the upstream is reachable: 1 available, 0 failing")
                        .tags(tags)
                        .strongReference(true)
                        .register(registry)));
    }

    /**
     * Exports a Netty allocator's memory use as {@code npm_gateway_netty_allocator_used_bytes} with
     * {@code allocator=<name>} and {@code memory="direct"|"heap"}. The proxy passes, for example,
     * {@code "pooled", PooledByteBufAllocator.DEFAULT.metric()::usedDirectMemory,
     * PooledByteBufAllocator.DEFAULT.metric()::usedHeapMemory}. Binding the same name again replaces it.
     *
     * @param allocatorName a short fixed name for the allocator ({@code pooled}, {@code adaptive})
     */
    public MeterBinding bindNettyAllocator(String allocatorName, LongSupplier usedDirectMemory,
            LongSupplier usedHeapMemory) {
        Objects.requireNonNull(allocatorName, "allocatorName");
        Objects.requireNonNull(usedDirectMemory, "usedDirectMemory");
        Objects.requireNonNull(usedHeapMemory, "usedHeapMemory");
        String description = "Memory the Netty buffer allocator holds, by allocator and memory kind";
        return bind("netty:" + allocatorName, () -> List.of(
                Gauge.builder(NETTY_ALLOCATOR_USED, usedDirectMemory, GatewayMetrics::asDouble)
                        .description(description)
                        .baseUnit("bytes")
                        .tags("allocator", allocatorName, "memory", "direct")
                        .strongReference(true)
                        .register(registry),
                Gauge.builder(NETTY_ALLOCATOR_USED, usedHeapMemory, GatewayMetrics::asDouble)
                        .description(description)
                        .baseUnit("bytes")
                        .tags("allocator", allocatorName, "memory", "heap")
                        .strongReference(true)
                        .register(registry)));
    }

    /** {@link #bindNettyAllocator(String, LongSupplier, LongSupplier)} named {@code default}. */
    public MeterBinding bindNettyAllocator(LongSupplier usedDirectMemory, LongSupplier usedHeapMemory) {
        return bindNettyAllocator("default", usedDirectMemory, usedHeapMemory);
    }

    private static double asDouble(LongSupplier supplier) {
        return supplier.getAsLong();
    }

    /** Registers meters under a key, first removing what an earlier binding under the key registered. */
    private MeterBinding bind(String key, Supplier<List<Meter>> register) {
        return bind(key, List.of(), register);
    }

    /** Registers meters; {@code referents} are kept reachable as long as the binding (see bindTarballStore). */
    private MeterBinding bind(String key, List<Object> referents, Supplier<List<Meter>> register) {
        synchronized (bindings) {
            Binding previous = bindings.get(key);
            if (previous != null) {
                previous.close();
            }
            Binding binding = new Binding(key, register.get(), referents);
            bindings.put(key, binding);
            return binding;
        }
    }

    /** The meters one bind call registered. Guarded by {@link #bindings}. */
    private final class Binding implements MeterBinding {
        private final String key;
        private final List<Meter> meters;
        /** Suppliers the meters hold only weakly; referenced here so they live as long as the binding. */
        @SuppressWarnings({"unused", "FieldCanBeLocal"})
        private final List<Object> referents;
        private boolean closed;

        Binding(String key, List<Meter> meters, List<Object> referents) {
            this.key = key;
            this.meters = meters;
            this.referents = referents;
        }

        @Override
        public void close() {
            synchronized (bindings) {
                if (!closed) {
                    closed = true;
                    bindings.remove(key, this);
                    meters.forEach(registry::remove);
                }
            }
        }

        @Override
        public String toString() {
            return "MeterBinding[" + key + "]";
        }
    }

    // ---------------------------------------------------------------- scraping

    /** Every meter in the Prometheus text format 0.0.4 ({@link #PROMETHEUS_TEXT_CONTENT_TYPE}). */
    public String scrape() {
        return registry.scrape(PROMETHEUS_TEXT_CONTENT_TYPE);
    }

    /**
     * Every meter in the format the client's {@code Accept} header asks for: OpenMetrics text when it accepts
     * {@code application/openmetrics-text}, the Prometheus text format otherwise (also for a {@code null} or
     * empty header). Send {@link Scrape#contentType()} as the response's {@code Content-Type}.
     */
    public Scrape scrape(String acceptHeader) {
        String contentType = contentTypeFor(acceptHeader);
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        scrape(out, contentType);
        return new Scrape(contentType, out.toByteArray());
    }

    /**
     * Writes every meter to {@code out} in the format of {@code contentType}, one of
     * {@link #PROMETHEUS_TEXT_CONTENT_TYPE} and {@link #OPENMETRICS_TEXT_CONTENT_TYPE} (as returned by
     * {@link #contentTypeFor(String)}).
     */
    public void scrape(OutputStream out, String contentType) {
        try {
            registry.scrape(out, contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The content type to answer a scrape with: {@link #OPENMETRICS_TEXT_CONTENT_TYPE} when
     * {@code acceptHeader} lists {@code application/openmetrics-text} (not refused with {@code q=0}),
     * {@link #PROMETHEUS_TEXT_CONTENT_TYPE} otherwise. Protobuf is never chosen.
     */
    public static String contentTypeFor(String acceptHeader) {
        if (acceptHeader == null || acceptHeader.isEmpty()) {
            return PROMETHEUS_TEXT_CONTENT_TYPE;
        }
        for (String range : acceptHeader.split(",")) {
            String[] parts = range.split(";");
            if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("application/openmetrics-text")) {
                continue;
            }
            boolean refused = false;
            for (int i = 1; i < parts.length; i++) {
                String param = parts[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
                if (param.startsWith("q=") && isZero(param.substring(2))) {
                    refused = true;
                }
            }
            if (!refused) {
                return OPENMETRICS_TEXT_CONTENT_TYPE;
            }
        }
        return PROMETHEUS_TEXT_CONTENT_TYPE;
    }

    private static boolean isZero(String q) {
        try {
            return Double.parseDouble(q) == 0.0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The registry, for this module's tests. Everything the gateway exports is defined in this class. */
    MeterRegistry registry() {
        return registry;
    }

    /** Stops the JVM GC listener and closes the registry. Recording after closing is a no-op. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            gcMetrics.close();
            registry.close();
        }
    }
}
