package io.npmgateway.upstream;

import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.npm.PackageName;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One configured upstream registry: knows its base URL, how to address a package there, and which headers a
 * request to a given URL carries. It is the only place that decides what an upstream request looks like; the
 * chain decides which upstream to ask.
 */
public final class Upstream {
    /** Redirects followed for tarballs (CodeArtifact sends downloads to pre-signed storage URLs). */
    static final int MAX_TARBALL_REDIRECTS = 5;
    static final int MAX_DOCUMENT_REDIRECTS = 3;

    private final UpstreamConfig config;
    private final URI base;
    private final UpstreamTransport transport;

    public Upstream(UpstreamConfig config, UpstreamTransport transport) {
        this.config = config;
        this.base = URI.create(config.url());
        this.transport = transport;
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
        UpstreamCall call = new UpstreamCall(config.id(), packumentUri(name), uri -> {
            Map<String, String> headers = new LinkedHashMap<>(baseHeaders(uri));
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
        return transport.fetchDocument(call, maxBytes);
    }

    /** Streams a tarball from the URL the upstream's packument gave for it. */
    public void fetchTarball(URI tarballUrl, StreamConsumer consumer) {
        UpstreamCall call = new UpstreamCall(config.id(), tarballUrl, uri -> {
            Map<String, String> headers = new LinkedHashMap<>(baseHeaders(uri));
            headers.put("Accept", "*/*");
            // Tarballs are gzip already; asking for identity keeps the bytes exactly as published.
            headers.put("Accept-Encoding", "identity");
            return headers;
        }, config.connectTimeout(), config.readTimeout(), MAX_TARBALL_REDIRECTS);
        transport.fetchStream(call, consumer);
    }

    /** Whether a URL lies under this upstream's base URL (scheme, host, port with defaults, path prefix). */
    public boolean owns(URI uri) {
        return sameOrigin(base, uri) && pathOf(uri).startsWith(pathOf(base));
    }

    /**
     * Headers every request to {@code uri} carries. Credentials are added here, per URL, by the credential layer;
     * the client's own headers are never copied.
     */
    private Map<String, String> baseHeaders(URI uri) {
        return Map.of();
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
}
