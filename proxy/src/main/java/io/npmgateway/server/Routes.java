package io.npmgateway.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.RegistryRequest;
import java.util.Optional;

/**
 * Which code answers which {@link RegistryRequest}: the one switch of the gateway. Operational endpoints
 * (metrics) are checked first because they live outside the registry's path prefix.
 */
final class Routes {
    static final String HEALTH = "/-/health";
    static final String READY = "/-/ready";

    private final PackumentRoutes packuments;
    private final TarballRoute tarballs;
    private final GatewayMetrics metrics;
    private final String metricsPath;
    private final Readiness readiness;
    private final AdminRoutes admin;
    private final ClientAccess access;
    private final boolean registry;
    private final PassThroughRoutes passThrough;
    private final AccountRoutes accounts;

    Routes(PackumentRoutes packuments, TarballRoute tarballs, GatewayMetrics metrics, String metricsPath,
            Readiness readiness, AdminRoutes admin, ClientAccess access, boolean registry) {
        this(packuments, tarballs, metrics, metricsPath, readiness, admin, access, registry, PassThroughRoutes.none(),
                new AccountRoutes(access, null));
    }

    Routes(PackumentRoutes packuments, TarballRoute tarballs, GatewayMetrics metrics, String metricsPath,
            Readiness readiness, AdminRoutes admin, ClientAccess access, boolean registry,
            PassThroughRoutes passThrough, AccountRoutes accounts) {
        this.passThrough = passThrough;
        this.accounts = accounts;
        this.admin = admin;
        this.access = access;
        this.registry = registry;
        this.packuments = packuments;
        this.tarballs = tarballs;
        this.metrics = metrics;
        this.metricsPath = metricsPath;
        this.readiness = readiness;
    }

    /**
     * Serves the operational endpoints, which live at fixed paths whatever the registry's path prefix (so probes
     * and scrapers need no knowledge of it); returns false when the path is not one of them.
     */
    boolean serveOperational(Exchange ex, String rawPath) {
        if (rawPath.equals(HEALTH)) {
            ex.json(HttpResponseStatus.OK, "{\"status\":\"up\"}");
            return true;
        }
        if (rawPath.equals(READY)) {
            Readiness.Report report = readiness.report();
            ex.json(report.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, report.json());
            return true;
        }
        if (registry && admin.serve(ex, rawPath)) {
            return true;
        }
        if (metricsPath != null && rawPath.equals(metricsPath)) {
            io.npmgateway.metrics.Scrape scrape = metrics.scrape(ex.header(HttpHeaderNames.ACCEPT));
            HttpHeaders headers = new DefaultHttpHeaders();
            headers.set(HttpHeaderNames.CONTENT_TYPE, scrape.contentType());
            headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            ex.bytes(HttpResponseStatus.OK, headers, scrape.body());
            return true;
        }
        if (!registry) {
            ex.error(HttpResponseStatus.NOT_FOUND, "this port serves only " + metricsPath + ", " + HEALTH + " and "
                    + READY);
            return true;
        }
        return false;
    }

    /**
     * Whether the route takes requests with {@code method}: every route reads (GET, HEAD); audit, search, writes
     * and {@code ?write=true} reads are passed through (see {@link PassThroughRoutes}); login and the account
     * endpoints take what {@link AccountRoutes} and {@link PassThroughRoutes} answer.
     */
    boolean allows(RegistryRequest request, io.netty.handler.codec.http.HttpMethod method) {
        String account = accountAllowed(request);
        if (account != null) {
            return java.util.Arrays.asList(account.split(", ")).contains(method.name());
        }
        if (PassThroughRoutes.handles(request, method, null)) {
            String allowed = PassThroughRoutes.allowed(request);
            return allowed == null || java.util.Arrays.asList(allowed.split(", ")).contains(method.name());
        }
        return method.equals(io.netty.handler.codec.http.HttpMethod.GET)
                || method.equals(io.netty.handler.codec.http.HttpMethod.HEAD);
    }

    /** The {@code Allow} header of a 405 for the route. */
    String allowed(RegistryRequest request) {
        String account = accountAllowed(request);
        if (account != null) {
            return account;
        }
        String allowed = PassThroughRoutes.allowed(request);
        return allowed == null ? "GET, HEAD" : allowed;
    }

    /** The methods of the login and account routes; null for other routes. */
    private static String accountAllowed(RegistryRequest request) {
        if (request instanceof RegistryRequest.UserDocument) {
            return "GET, HEAD, PUT";
        }
        if (request instanceof RegistryRequest.Account) {
            return PassThroughRoutes.handles(request, io.netty.handler.codec.http.HttpMethod.GET, null)
                    ? PassThroughRoutes.allowed(request) : AccountRoutes.allowed(request);
        }
        if (request instanceof RegistryRequest.Whoami || request instanceof RegistryRequest.WebLogin
                || request instanceof RegistryRequest.Logout) {
            return AccountRoutes.allowed(request);
        }
        return null;
    }

    void serve(Exchange ex, RegistryRequest request) {
        String authorization = ex.header(HttpHeaderNames.AUTHORIZATION);
        Optional<String> client = access.client(authorization);
        PackageName name = packageOf(request);
        if (name != null && !access.mayRead(name, client)) {
            access.deny(ex, name, authorization != null);
            return;
        }
        if (AccountRoutes.handles(request, ex.request().method())) {
            accounts.serve(ex, request, client);
            return;
        }
        if (PassThroughRoutes.handles(request, ex.request().method(), ex.rawQuery())) {
            passThrough.serve(ex, request);
            return;
        }
        if (request instanceof RegistryRequest.Packument) {
            packuments.packument(ex, ((RegistryRequest.Packument) request).name());
        } else if (request instanceof RegistryRequest.Tarball) {
            tarballs.serve(ex, (RegistryRequest.Tarball) request);
        } else if (request instanceof RegistryRequest.Version) {
            RegistryRequest.Version v = (RegistryRequest.Version) request;
            packuments.version(ex, v.name(), v.selector());
        } else if (request instanceof RegistryRequest.DistTags) {
            packuments.distTags(ex, ((RegistryRequest.DistTags) request).name());
        } else if (request instanceof RegistryRequest.Ping || request instanceof RegistryRequest.Root) {
            ex.json(HttpResponseStatus.OK, "{}");
        } else if (request instanceof RegistryRequest.Health) {
            ex.json(HttpResponseStatus.OK, "{\"status\":\"up\"}");
        } else if (request instanceof RegistryRequest.UnknownMeta) {
            ex.error(HttpResponseStatus.NOT_FOUND, "this gateway does not serve "
                    + ((RegistryRequest.UnknownMeta) request).path());
        } else {
            ex.error(HttpResponseStatus.NOT_FOUND, "not found");
        }
    }

    /** The package a request reads, whose route decides who may read it; null for requests about no package. */
    private static PackageName packageOf(RegistryRequest request) {
        if (request instanceof RegistryRequest.Packument p) {
            return p.name();
        }
        if (request instanceof RegistryRequest.Version v) {
            return v.name();
        }
        if (request instanceof RegistryRequest.DistTags d) {
            return d.name();
        }
        if (request instanceof RegistryRequest.Tarball t) {
            return t.name();
        }
        return null;
    }
}
