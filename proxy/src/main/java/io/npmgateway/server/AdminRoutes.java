package io.npmgateway.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.npm.InvalidRequestException;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.RequestPathParser;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.storage.TarballStore;
import io.npmgateway.tarball.TarballService;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The operator's endpoints, behind the admin token: cache totals ({@code GET /-/admin/cache}) and the purge of one
 * package's metadata and tarballs ({@code DELETE /-/admin/packages/<name>}), e.g. after a malicious version was
 * unpublished upstream. Disabled (404) when no admin token is configured.
 */
final class AdminRoutes {
    static final String PREFIX = "/-/admin/";
    private static final String PACKAGES = PREFIX + "packages/";

    private final byte[] token;
    private final PackumentService packuments;
    private final TarballService tarballs;
    private final RequestPathParser packagePaths = new RequestPathParser(PACKAGES);

    AdminRoutes(String token, PackumentService packuments, TarballService tarballs) {
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.packuments = packuments;
        this.tarballs = tarballs;
    }

    boolean serve(Exchange ex, String rawPath) {
        if (!rawPath.startsWith(PREFIX)) {
            return false;
        }
        if (token == null) {
            ex.error(HttpResponseStatus.NOT_FOUND, "the admin API is disabled; configure admin.token to enable it");
            return true;
        }
        if (!authorized(ex.header(HttpHeaderNames.AUTHORIZATION))) {
            HttpHeaders challenge = new DefaultHttpHeaders();
            challenge.set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"npm-gateway admin\"");
            ex.error(HttpResponseStatus.UNAUTHORIZED, "the admin API needs 'Authorization: Bearer <admin token>'",
                    challenge);
            return true;
        }
        HttpMethod method = ex.request().method();
        if (rawPath.equals(PREFIX + "cache") && method.equals(HttpMethod.GET)) {
            ex.json(HttpResponseStatus.OK, totals());
        } else if (rawPath.startsWith(PACKAGES) && method.equals(HttpMethod.DELETE)) {
            purge(ex, rawPath);
        } else {
            ex.error(HttpResponseStatus.NOT_FOUND, "admin endpoints: GET " + PREFIX + "cache, DELETE " + PACKAGES
                    + "<name>");
        }
        return true;
    }

    private void purge(Exchange ex, String rawPath) {
        RegistryRequest request = packagePaths.parse(rawPath);
        if (!(request instanceof RegistryRequest.Packument)) {
            throw new InvalidRequestException("purge takes exactly one package name: DELETE " + PACKAGES + "<name>");
        }
        PackageName name = ((RegistryRequest.Packument) request).name();
        packuments.invalidate(name);
        int removed = tarballs.store().deleteByPrefix(name + "/-/");
        ex.json(HttpResponseStatus.OK, "{\"package\":\"" + name + "\",\"metadataPurged\":true,\"tarballsRemoved\":"
                + removed + "}");
    }

    private String totals() {
        TarballStore store = tarballs.store();
        var stats = packuments.cache().stats();
        return "{\"tarballs\":{\"entries\":" + store.entryCount() + ",\"bytes\":" + store.totalBytes()
                + ",\"evictions\":" + store.evictionCount() + ",\"downloadsInProgress\":"
                + tarballs.downloadsInProgress() + "},\"metadata\":{\"entries\":"
                + packuments.cache().estimatedSize() + ",\"hits\":" + stats.hitCount() + ",\"misses\":"
                + stats.missCount() + ",\"evictions\":" + stats.evictionCount() + "}}";
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token);
    }
}
