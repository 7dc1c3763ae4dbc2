package io.npmgateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One upstream registry.
 *
 * @param id                   a short name used in routes, logs, metrics and error messages
 * @param url                  the registry base URL, with its path prefix and a trailing slash
 * @param auth                 how the gateway authenticates to it; {@link UpstreamAuth#NONE} for anonymous
 * @param alwaysAuth           whether metadata (packument) requests carry the credentials too. {@code true} (the
 *                             default) is what npm 7 and later do whenever credentials exist for a URL, and what
 *                             private registries need: CodeArtifact and Azure Artifacts answer an anonymous
 *                             packument request with 401. {@code false} sends metadata requests anonymously and
 *                             the credentials only with tarball downloads, for registries that serve public
 *                             metadata but protect files.
 * @param extraCredentialHosts hosts ({@code host} for any port, or {@code host:port}) outside {@link #url()} that
 *                             may also receive the credentials, e.g. a separate download host the registry puts
 *                             into {@code dist.tarball}. Empty by default: credentials go only to URLs under the
 *                             upstream's own prefix, never to a redirect target or foreign tarball host.
 * @param connectTimeout       how long to wait for a TCP (and TLS) connection
 * @param readTimeout          how long the upstream may stay silent mid-response before the request fails
 */
public record UpstreamConfig(
        String id,
        String url,
        UpstreamAuth auth,
        boolean alwaysAuth,
        List<String> extraCredentialHosts,
        Duration connectTimeout,
        Duration readTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final boolean DEFAULT_ALWAYS_AUTH = true;

    public UpstreamConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        url = url.endsWith("/") ? url : url + "/";
        auth = auth == null ? UpstreamAuth.NONE : auth;
        extraCredentialHosts = extraCredentialHosts == null ? List.of()
                : extraCredentialHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        readTimeout = readTimeout == null ? DEFAULT_READ_TIMEOUT : readTimeout;
    }

    /** An anonymous upstream with the given timeouts ({@code null} for the defaults). */
    public UpstreamConfig(String id, String url, Duration connectTimeout, Duration readTimeout) {
        this(id, url, UpstreamAuth.NONE, DEFAULT_ALWAYS_AUTH, List.of(), connectTimeout, readTimeout);
    }

    /** An anonymous upstream with default timeouts. */
    public static UpstreamConfig of(String id, String url) {
        return new UpstreamConfig(id, url, null, null);
    }

    public UpstreamConfig withAuth(UpstreamAuth newAuth) {
        return new UpstreamConfig(id, url, newAuth, alwaysAuth, extraCredentialHosts, connectTimeout, readTimeout);
    }

    public UpstreamConfig withAlwaysAuth(boolean newAlwaysAuth) {
        return new UpstreamConfig(id, url, auth, newAlwaysAuth, extraCredentialHosts, connectTimeout, readTimeout);
    }

    public UpstreamConfig withExtraCredentialHosts(List<String> hosts) {
        return new UpstreamConfig(id, url, auth, alwaysAuth, hosts, connectTimeout, readTimeout);
    }

    public boolean hasCredentials() {
        return !(auth instanceof UpstreamAuth.None);
    }

    /**
     * Whether a request to {@code target} may carry this upstream's credentials: the target is under the
     * upstream's URL (same host, same effective port, path below the upstream's path) or on one of
     * {@link #extraCredentialHosts()}, and it is not a downgrade from {@code https} to {@code http}. Default
     * ports are normalised, so CodeArtifact's {@code :443} tarball URLs match an upstream configured without
     * the port. Anything else (a pre-signed storage URL a tarball redirects to, a foreign {@code dist.tarball}
     * host) gets no credentials.
     */
    public boolean credentialsApplyTo(URI target) {
        if (!hasCredentials() || target.getHost() == null || target.getScheme() == null) {
            return false;
        }
        URI base = URI.create(url);
        String scheme = target.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            return false;
        }
        if (base.getScheme().equalsIgnoreCase("https") && !scheme.equals("https")) {
            return false;
        }
        String host = target.getHost().toLowerCase(Locale.ROOT);
        int port = effectivePort(target);
        if (host.equals(base.getHost().toLowerCase(Locale.ROOT)) && port == effectivePort(base)
                && scheme.equalsIgnoreCase(base.getScheme())) {
            if (pathIsUnder(target, base)) {
                return true;
            }
        }
        for (String extra : extraCredentialHosts) {
            if (extra.equals(host) || extra.equals(host + ":" + port)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the target's path lies below the base's path as the server will resolve it. Literal dot segments are
     * resolved first ({@code <prefix>../other-repo/x.tgz} is another repository, not this one); a path with an
     * encoded dot segment or an encoded separator next to dots ({@code %2e%2e}, {@code ..%2f}, {@code ..%5c}) is
     * refused outright, because a server may decode it before resolving, and no registry writes such tarball URLs.
     */
    private static boolean pathIsUnder(URI target, URI base) {
        String raw = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        if (hasEncodedDotSegment(raw)) {
            return false;
        }
        String path = URI.create("http://h" + raw).normalize().getRawPath();
        if (path.startsWith("/..")) {
            return false; // more ".." than segments: a server would clamp them, never stay under a deeper prefix
        }
        String prefix = base.getRawPath() == null || base.getRawPath().isEmpty() ? "/" : base.getRawPath();
        return path.startsWith(prefix);
    }

    private static boolean hasEncodedDotSegment(String rawPath) {
        String decoded = rawPath.replaceAll("(?i)%2e", ".").replaceAll("(?i)%2f", "/").replaceAll("(?i)%5c", "/")
                .replace('\\', '/');
        if (decoded.equals(rawPath)) {
            return false; // nothing was encoded: literal dot segments are resolved by normalize()
        }
        for (String segment : decoded.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
        }
        return false;
    }

    static int effectivePort(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
