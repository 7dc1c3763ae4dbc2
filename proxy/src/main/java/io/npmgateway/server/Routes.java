package io.npmgateway.server;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.npm.RegistryRequest;

/**
 * Which code answers which {@link RegistryRequest}: the one switch of the gateway. Operational endpoints
 * (metrics) are checked first because they live outside the registry's path prefix.
 */
final class Routes {
    private final PackumentRoutes packuments;
    private final TarballRoute tarballs;

    Routes(PackumentRoutes packuments, TarballRoute tarballs) {
        this.packuments = packuments;
        this.tarballs = tarballs;
    }

    /** Serves endpoints outside the registry namespace; returns false when the path is not one of them. */
    boolean serveOperational(Exchange exchange, String rawPath) {
        return false;
    }

    void serve(Exchange ex, RegistryRequest request) {
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
}
