package io.npmgateway.upstream;

import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.metrics.FetchKind;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.PackageName;
import io.npmgateway.upstream.credentials.CredentialProvider;
import io.npmgateway.upstream.credentials.FixedCredentials;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One configured upstream registry: knows its base URL, how to address a package there, and which headers a
 * request to a given URL carries. It is the only place that decides what an upstream request looks like; the
 * chain decides which upstream to ask.
 *
 * <p>Credentials: the upstream's {@link CredentialProvider} gives the current {@code Authorization} value, and it
 * is sent only to URLs {@link UpstreamConfig#credentialsApplyTo(URI) under the upstream's prefix or on its extra
 * credential hosts}, decided again for every redirect hop; packument requests carry it only with
 * {@link UpstreamConfig#alwaysAuth()}. Nothing of the client's request (its own {@code Authorization} included)
 * is ever copied into an upstream request.
 *
 * <p>Health: while the upstream is {@linkplain UpstreamHealth down}, requests fail at once without reaching it,
 * except one probe per cool-down.
 */
public final class Upstream {
    /** Redirects followed for tarballs (CodeArtifact sends downloads to pre-signed storage URLs). */
    static final int MAX_TARBALL_REDIRECTS = 5;
    static final int MAX_DOCUMENT_REDIRECTS = 3;

    private final UpstreamConfig config;
    private final URI base;
    private final UpstreamTransport transport;
    private final GatewayMetrics metrics;
    private final UpstreamHealth health;
    private final CredentialProvider credentials;

    /**
     * An upstream with fixed credentials (none, bearer, basic, legacy), as configured. Refreshed credentials (a token
     * command, CodeArtifact) need a started provider: use the other constructor.
     */
    public Upstream(UpstreamConfig config, UpstreamTransport transport, GatewayMetrics metrics) {
        this(config, transport, metrics, FixedCredentials.of(config.auth()), new UpstreamHealth());
    }

    public Upstream(UpstreamConfig config, UpstreamTransport transport, GatewayMetrics metrics,
            CredentialProvider credentials, UpstreamHealth health) {
        this.config = config;
        this.base = URI.create(config.url());
        this.transport = transport;
        this.metrics = metrics;
        this.credentials = credentials;
        this.health = health;
    }

    /** Where this upstream's {@code Authorization} values come from. */
    public CredentialProvider credentials() {
        return credentials;
    }

    /** Whether the upstream has been answering lately. */
    public UpstreamHealth health() {
        return health;
    }

    public String id() {
        return config.id();
    }

    public UpstreamConfig config() {
        return config;
    }

    /** The packument URL: npm's escaped spelling, {@code @scope%2fname}, under the upstream's base path. */
    public URI packumentUri(PackageName name) {
        return URI.create(config.url() + name.escaped());
    }

    /**
     * GETs the full packument, conditionally when validators from an earlier copy are given. The full document is
     * always asked for: the gateway derives the abbreviated one itself.
     */
    public CompletableFuture<DocumentResponse> fetchPackument(PackageName name, String etag, String lastModified,
            long maxBytes) {
        URI target = packumentUri(name);
        UpstreamException refused = refuseWhileDown();
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        UpstreamCall call = new UpstreamCall(config.id(), target, uri -> {
            Map<String, String> headers = new LinkedHashMap<>(baseHeaders(uri, true));
            headers.put("Accept", "application/json");
            headers.put("Accept-Encoding", "gzip");
            if (etag != null) {
                headers.put("If-None-Match", etag);
            }
            if (lastModified != null) {
                headers.put("If-Modified-Since", lastModified);
            }
            return headers;
        }, config.connectTimeout(), config.readTimeout(), MAX_DOCUMENT_REDIRECTS);
        long started = System.nanoTime();
        return credentials.ready().thenCompose(ready -> {
            UpstreamException missing = missingCredentials(target, true);
            if (missing != null) {
                return CompletableFuture.<DocumentResponse>failedFuture(missing);
            }
            String sent = sentAuthorization(target, true);
            return transport.fetchDocument(call, maxBytes).thenCompose(response -> againIfRefused(FetchKind.PACKUMENT,
                    response.status(), sent, response, started, () -> transport.fetchDocument(call, maxBytes)));
        }).whenComplete((response, error) -> {
            if (error != null) {
                failed(FetchKind.PACKUMENT, error, started);
            } else {
                answered(FetchKind.PACKUMENT, response.status(), started);
            }
        });
    }

    /** The {@code Authorization} value a request to {@code target} carries now, or null when it carries none. */
    private String sentAuthorization(URI target, boolean metadata) {
        return baseHeaders(target, metadata).get("Authorization");
    }

    /**
     * A 401 to a request that carried a token the gateway obtains itself may mean the token was revoked or expired
     * early: the provider renews it (see {@link CredentialProvider#renewAfterRefusal}) and the request goes once
     * more with the new one. Any other answer, or a token that could not be renewed, stands.
     */
    private <T> CompletableFuture<T> againIfRefused(FetchKind kind, int status, String sent, T response,
            long startedNanos, Supplier<CompletableFuture<T>> again) {
        if (status != 401 || sent == null) {
            return CompletableFuture.completedFuture(response);
        }
        return credentials.renewAfterRefusal(sent).thenCompose(renewed -> {
            if (!renewed) {
                return CompletableFuture.completedFuture(response);
            }
            answered(kind, status, startedNanos);
            return again.get();
        });
    }

    private void answered(FetchKind kind, int status, long startedNanos) {
        metrics.upstreamRequest(config.id(), kind, status, System.nanoTime() - startedNanos);
        if (status >= 500) {
            metrics.upstreamError(config.id(), UpstreamFailure.STATUS_5XX.label());
            health.failure(UpstreamFailure.STATUS_5XX);
        } else {
            health.success();
            if (status == 401 || status == 403) {
                metrics.upstreamError(config.id(), UpstreamFailure.UNAUTHORIZED.label());
            } else if (status >= 400 && status != 404) {
                metrics.upstreamError(config.id(), UpstreamFailure.STATUS_4XX.label());
            }
        }
    }

    /**
     * Fails a request before it is made when the upstream is down and not due for a probe; null when the request may
     * go.
     */
    private UpstreamException refuseWhileDown() {
        if (health.tryAcquire()) {
            return null;
        }
        UpstreamFailure last = health.lastFailure() == null ? UpstreamFailure.CONNECT : health.lastFailure();
        return new UpstreamException(config.id(), last, "it failed " + health.consecutiveFailures()
                + " times in a row and is not asked again for " + health.secondsUntilProbe() + " s");
    }

    /**
     * Fails a request that needs credentials the provider cannot give (a token command or CodeArtifact call that has
     * not succeeded yet), rather than sending it anonymously; null when the request may go.
     */
    private UpstreamException missingCredentials(URI target, boolean metadata) {
        if (!sendsCredentials(target, metadata) || credentials.authorization().isPresent()) {
            return null;
        }
        String why = credentials.unavailableReason();
        if (why == null) {
            return null;
        }
        return new UpstreamException(config.id(), UpstreamFailure.UNAUTHORIZED, "no credentials to send: " + why);
    }

    /** The failure an unexpected upstream status stands for, in words that say whether credentials were sent. */
    public UpstreamException statusFailure(int status, URI target, boolean metadata) {
        if ((status == 401 || status == 403) && !sendsCredentials(target, metadata)) {
            return new UpstreamException(config.id(), UpstreamFailure.UNAUTHORIZED,
                    "HTTP " + status + " to a request without credentials: "
                            + (config.hasCredentials() ? (metadata && !config.alwaysAuth()
                                    ? "alwaysAuth is false, so packument requests go anonymously"
                                    : "the URL is outside the upstream's credential scope")
                                    : "it needs credentials, and none are configured for it"));
        }
        return UpstreamChain.statusFailure(config.id(), status);
    }

    private boolean sendsCredentials(URI target, boolean metadata) {
        return (!metadata || config.alwaysAuth()) && config.credentialsApplyTo(target);
    }

    private void failed(FetchKind kind, Throwable error, long startedNanos) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        UpstreamFailure failure = cause instanceof UpstreamException ? ((UpstreamException) cause).failure()
                : UpstreamFailure.INVALID;
        metrics.upstreamRequest(config.id(), kind, 0, System.nanoTime() - startedNanos);
        metrics.upstreamError(config.id(), failure.label());
        health.failure(failure);
    }

    /** Streams a tarball from the URL the upstream's packument gave for it. */
    public void fetchTarball(URI tarballUrl, StreamConsumer consumer) {
        UpstreamException refused = refuseWhileDown();
        if (refused != null) {
            consumer.onError(refused);
            return;
        }
        UpstreamCall call = new UpstreamCall(config.id(), tarballUrl, uri -> {
            Map<String, String> headers = new LinkedHashMap<>(baseHeaders(uri, false));
            headers.put("Accept", "*/*");
            // Tarballs are gzip already; asking for identity keeps the bytes exactly as published.
            headers.put("Accept-Encoding", "identity");
            return headers;
        }, config.connectTimeout(), config.readTimeout(), MAX_TARBALL_REDIRECTS);
        long started = System.nanoTime();
        credentials.ready().whenComplete((ready, error) -> {
            UpstreamException missing = missingCredentials(tarballUrl, false);
            if (missing != null) {
                measured(consumer, tarballUrl, started, null, null).onError(missing);
            } else {
                String sent = sentAuthorization(tarballUrl, false);
                transport.fetchStream(call, measured(consumer, tarballUrl, started, sent, () -> transport.fetchStream(
                        call, measured(consumer, tarballUrl, started, null, null))));
            }
        });
    }

    /**
     * Passes a tarball response on to {@code consumer}, counting it in the metrics. When {@code refusedAgain} is
     * given, a 401 to the {@code sent} token is not passed on: the response is dropped and, once the provider has
     * renewed the token, the request runs again; if it could not, the refusal reaches the consumer as an error.
     */
    private StreamConsumer measured(StreamConsumer consumer, URI tarballUrl, long started, String sent,
            Runnable refusedAgain) {
        return new StreamConsumer() {
            @Override
            public void onResponse(int status, long contentLength, StreamControl control) {
                if (status == 401 && sent != null && refusedAgain != null) {
                    control.cancel();
                    answered(FetchKind.TARBALL, status, started);
                    credentials.renewAfterRefusal(sent).whenComplete((renewed, error) -> {
                        if (Boolean.TRUE.equals(renewed)) {
                            refusedAgain.run();
                        } else {
                            consumer.onError(statusFailure(status, tarballUrl, false));
                        }
                    });
                    return;
                }
                if (status != 200) {
                    answered(FetchKind.TARBALL, status, started);
                } else {
                    // Answering proves the upstream reachable (a probe must not wait for the whole body).
                    health.success();
                }
                consumer.onResponse(status, contentLength, control);
            }

            @Override
            public void onData(ByteBuffer data) {
                consumer.onData(data);
            }

            @Override
            public void onComplete() {
                answered(FetchKind.TARBALL, 200, started);
                consumer.onComplete();
            }

            @Override
            public void onError(UpstreamException error) {
                failed(FetchKind.TARBALL, error, started);
                consumer.onError(error);
            }
        };
    }

    /** Whether a URL lies under this upstream's base URL (scheme, host, port with defaults, path prefix). */
    public boolean owns(URI uri) {
        return sameOrigin(base, uri) && pathOf(uri).startsWith(pathOf(base));
    }

    /**
     * Headers every request to {@code uri} carries: the upstream's credentials when they apply to that URL (and,
     * for metadata, when {@code alwaysAuth} is on). Asked again for every redirect hop, so a redirect to a
     * pre-signed storage URL or another host gets none. The client's own headers are never copied.
     */
    Map<String, String> baseHeaders(URI uri, boolean metadata) {
        if (!sendsCredentials(uri, metadata)) {
            return Map.of();
        }
        return credentials.authorization().map(value -> Map.of("Authorization", value)).orElse(Map.of());
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String pathOf(URI u) {
        String p = u.getRawPath();
        return p == null || p.isEmpty() ? "/" : p;
    }

    /**
     * Passes a request the gateway does not answer itself (audit, search, publish and the other writes) to this
     * upstream: {@code relativeTarget} (path and query, already escaped as the upstream expects) is resolved
     * against the upstream's base URL, so its path prefix is kept. Only the given headers and this upstream's own
     * credentials are sent; nothing else of the client's request. Never retried (see
     * {@link UpstreamCall#retriable()}), except once after a 401 to a token the provider could renew; redirects are
     * followed for GET only.
     */
    public CompletableFuture<ForwardedResponse> forward(String method, String relativeTarget,
            Map<String, String> headers, byte[] body, long maxResponseBytes) {
        URI target = URI.create(config.url() + relativeTarget);
        UpstreamCall call = new UpstreamCall(config.id(), target, uri -> {
            Map<String, String> all = new LinkedHashMap<>(baseHeaders(uri, false));
            all.putAll(headers);
            return all;
        }, config.connectTimeout(), config.readTimeout(), MAX_DOCUMENT_REDIRECTS, method, body);
        long started = System.nanoTime();
        // Like a tarball request: the credentials go whenever they apply to the URL (alwaysAuth is about metadata),
        // and a provider that has no token yet fails the request rather than sending it anonymously.
        // A 401 is the one answer sent again (with a renewed token): the upstream refused before doing anything.
        return credentials.ready().thenCompose(ready -> {
            UpstreamException missing = missingCredentials(target, false);
            if (missing != null) {
                return CompletableFuture.<ForwardedResponse>failedFuture(missing);
            }
            String sent = sentAuthorization(target, false);
            return transport.forward(call, maxResponseBytes).thenCompose(response -> againIfRefused(FetchKind.OTHER,
                    response.status(), sent, response, started, () -> transport.forward(call, maxResponseBytes)));
        }).whenComplete((response, error) -> {
            if (error != null) {
                failed(FetchKind.OTHER, error, started);
            } else if (response.status() == 501) {
                // "Not implemented" (search on CodeArtifact, audit on a private registry) is an answer, not an outage.
                metrics.upstreamRequest(config.id(), FetchKind.OTHER, 501, System.nanoTime() - started);
                health.success();
            } else {
                answered(FetchKind.OTHER, response.status(), started);
            }
        });
    }

    /**
     * Starts a write whose body is streamed while it arrives (a publish): like {@link #forward}, but the body is
     * written piece by piece to the returned upload once it is ready (credentials obtained). The request goes with
     * {@code Transfer-Encoding: chunked}, since its length is known only at its end. {@code affinity} is the thread
     * that produces the body (see {@link UpstreamTransport#upload}).
     */
    public CompletableFuture<BodyUpload> upload(String method, String relativeTarget, Map<String, String> headers,
            long maxResponseBytes, java.util.concurrent.Executor affinity) {
        URI target = URI.create(config.url() + relativeTarget);
        UpstreamCall call = new UpstreamCall(config.id(), target, uri -> {
            Map<String, String> all = new LinkedHashMap<>(baseHeaders(uri, false));
            all.putAll(headers);
            return all;
        }, config.connectTimeout(), config.readTimeout(), 0, method, null);
        long started = System.nanoTime();
        return credentials.ready().thenApply(ready -> {
            UpstreamException missing = missingCredentials(target, false);
            if (missing != null) {
                throw missing;
            }
            BodyUpload upload = transport.upload(call, maxResponseBytes, affinity);
            upload.response().whenComplete((response, error) -> {
                if (error == null) {
                    answered(FetchKind.OTHER, response.status(), started);
                } else if (!(error instanceof UpstreamException u && u.failure() == UpstreamFailure.CANCELLED)) {
                    failed(FetchKind.OTHER, error, started);
                }
            });
            return upload;
        });
    }
}
