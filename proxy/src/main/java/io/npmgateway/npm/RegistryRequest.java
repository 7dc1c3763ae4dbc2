package io.npmgateway.npm;

/**
 * What a client asked the registry for, decided from the request path alone. The router produces exactly one
 * of these for every path it accepts; everything after it (cache, upstream chain, response) is chosen by the
 * variant, never by looking at the raw path again.
 */
public sealed interface RegistryRequest {

    /** {@code GET /}: the registry root, answered with an empty JSON object. */
    record Root() implements RegistryRequest {
    }

    /** {@code GET /-/ping}: npm ping and npm doctor. */
    record Ping() implements RegistryRequest {
    }

    /** {@code GET /-/whoami}: the name of the client token the request carries. */
    record Whoami() implements RegistryRequest {
    }

    /** {@code GET /-/health}: liveness. */
    record Health() implements RegistryRequest {
    }

    /** {@code GET /<name>}: the packument, full or abbreviated by {@code Accept}. */
    record Packument(PackageName name) implements RegistryRequest {
    }

    /** {@code GET /<name>/<version-or-tag>}: one version's manifest. */
    record Version(PackageName name, String selector) implements RegistryRequest {
    }

    /** {@code GET /-/package/<name>/dist-tags}: the dist-tags object. */
    record DistTags(PackageName name) implements RegistryRequest {
    }

    /** {@code GET /<name>/-/<file>.tgz}: a tarball, by the file name the packument gave. */
    record Tarball(PackageName name, String fileName) implements RegistryRequest {
        /** The key the tarball store files it under: independent of how the client spelled the name. */
        public String storeKey() {
            return name + "/-/" + fileName;
        }
    }

    /** A {@code /-/...} route the gateway does not serve. */
    record UnknownMeta(String path) implements RegistryRequest {
    }

    /** {@code POST /-/npm/v1/security/advisories/bulk}: npm audit (npm 7+, Yarn 4, pnpm 11). Passed to the audit upstream. */
    record AuditBulk() implements RegistryRequest {
    }

    /**
     * {@code POST /-/npm/v1/security/audits} and {@code .../audits/quick}: the retired audit endpoints (npm 6, pnpm
     * 9/10). Answered 410 with a pointer to the bulk endpoint.
     */
    record AuditLegacy(String path) implements RegistryRequest {
    }

    /** {@code GET /-/v1/search?text=...}: npm search. Passed to the first upstream that answers it. */
    record Search() implements RegistryRequest {
    }

    /** {@code PUT} or {@code DELETE /-/package/<name>/dist-tags/<tag>}: npm dist-tag add / rm. */
    record DistTag(PackageName name, String tag) implements RegistryRequest {
    }

    /** {@code PUT} or {@code DELETE /<name>/-rev/<rev>}: unpublish, owner changes, star. */
    record Revision(PackageName name, String revision) implements RegistryRequest {
    }

    /** {@code DELETE /<name>/-/<file>/-rev/<rev>}: removing one version's tarball (npm unpublish name@version). */
    record TarballRevision(PackageName name, String fileName, String revision) implements RegistryRequest {
    }

    /**
     * {@code /-/user/org.couchdb.user:<name>}: {@code PUT} is a login or adduser (npm's legacy flow, Yarn 4's
     * {@code npm login}), answered by the gateway itself; {@code GET} is npm owner add/rm looking up a user, passed
     * to the write target.
     */
    record UserDocument(String user) implements RegistryRequest {
    }

    /** {@code POST /-/v1/login}: npm's web login, which the gateway declines so npm asks for a password instead. */
    record WebLogin() implements RegistryRequest {
    }

    /** {@code DELETE /-/user/token/<token>}: npm logout. The token is a secret: it never prints. */
    record Logout(io.npmgateway.config.Secret token) implements RegistryRequest {
    }

    /** The registry's account endpoints beyond login, which the gateway answers, forwards or declines by kind. */
    enum AccountEndpoint {
        /** {@code /-/npm/v1/tokens...}: npm token ls/create/revoke. */
        TOKENS,
        /** {@code /-/npm/v1/user}: npm profile get/set. */
        PROFILE,
        /** {@code /-/package/<name>/access|collaborators|visibility}, {@code /-/team/...}, {@code /-/org/...},
         *  {@code /-/user/<user>/package}: npm access. */
        ACCESS,
        /** {@code /-/_view/starredByUser}: npm stars. */
        STARS,
        /** {@code /-/npm/v1/keys}: the registry's signing keys (npm audit signatures). */
        KEYS
    }

    /**
     * One of the {@link AccountEndpoint}s.
     *
     * @param target the path below the registry's base, each segment percent-encoded again from its validated,
     *               decoded form (safe to append to an upstream's URL)
     */
    record Account(AccountEndpoint endpoint, String target) implements RegistryRequest {
    }
}
