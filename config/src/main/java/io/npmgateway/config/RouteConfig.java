package io.npmgateway.config;

import java.util.List;
import java.util.Objects;

/**
 * Which upstreams serve the packages whose names match {@link #pattern()}. Routes are tried in order and the
 * first whose pattern matches a name decides; see {@link RouteTable}.
 *
 * @param pattern     a {@link PackagePattern}: {@code *}, {@code @corp/*}, {@code @corp-*}{@code /*}, an exact name
 * @param upstreamIds the upstreams to ask, in priority order (at least one)
 * @param policy      how answers from several upstreams combine
 * @param anonymous   whether a client without a token may read these packages
 */
public record RouteConfig(String pattern, List<String> upstreamIds, Policy policy, Access anonymous) {

    /** How the upstreams of a route combine. */
    public enum Policy {
        /**
         * The first upstream (in route order) that has the package serves all of it; later upstreams are not
         * consulted for that name. This is the shadowing that prevents dependency confusion: an internal
         * package cannot be overtaken by a same-named public one with a higher version.
         */
        FIRST,
        /**
         * The union of the versions of every upstream that has the package; a version present in several
         * upstreams comes from the earliest one, and dist-tags come from the earliest upstream that has them.
         */
        MERGE
    }

    /** What a client that presents no valid client token may do with a route's packages. */
    public enum Access {
        /** Read (install) without a token. */
        READ,
        /** Nothing: a valid client token is required. */
        NONE
    }

    public RouteConfig {
        Objects.requireNonNull(pattern, "pattern");
        PackagePattern.parse(pattern);
        upstreamIds = List.copyOf(upstreamIds);
        if (upstreamIds.isEmpty()) {
            throw new IllegalArgumentException("a route needs at least one upstream");
        }
        policy = policy == null ? Policy.FIRST : policy;
        anonymous = anonymous == null ? Access.READ : anonymous;
    }

    /** A route with policy {@code first} and anonymous reads. */
    public RouteConfig(String pattern, List<String> upstreamIds) {
        this(pattern, upstreamIds, Policy.FIRST, Access.READ);
    }

    public PackagePattern packagePattern() {
        return PackagePattern.parse(pattern);
    }

    public RouteConfig withAnonymous(Access newAnonymous) {
        return new RouteConfig(pattern, upstreamIds, policy, newAnonymous);
    }
}
