package io.npmgateway.config;

import java.util.List;
import java.util.Optional;

/**
 * The routes of a configuration with their patterns parsed once, for lookups per request. The first route whose
 * pattern matches a package name wins; a name no route matches has no upstream (the gateway answers 404).
 */
public final class RouteTable {
    private final List<RouteConfig> routes;
    private final List<PackagePattern> patterns;

    public RouteTable(List<RouteConfig> routes) {
        this.routes = List.copyOf(routes);
        this.patterns = this.routes.stream().map(RouteConfig::packagePattern).toList();
    }

    /** The route for a decoded package name ({@code @corp/tool}), if any. */
    public Optional<RouteConfig> routeFor(String packageName) {
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matches(packageName)) {
                return Optional.of(routes.get(i));
            }
        }
        return Optional.empty();
    }

    public List<RouteConfig> routes() {
        return routes;
    }
}
