package io.npmgateway.testing;

import java.util.Locale;
import java.util.Map;

/**
 * Cleans the environment a test passes on to npm, Verdaccio and the other clients, so that how the
 * developer's shell or the CI runner is configured cannot change what a test does.
 */
final class ChildEnvironment {

    private ChildEnvironment() {
    }

    /**
     * Removes, in place, every variable that configures a package manager or node ({@code npm_config_*} and
     * npm's other {@code npm_*} variables, which also appear when the build itself runs under npm;
     * {@code YARN_*}; {@code PNPM_*}; {@code NODE_OPTIONS}) and every HTTP proxy setting: all test traffic
     * goes to 127.0.0.1 and must not be routed anywhere else.
     */
    static Map<String, String> clean(Map<String, String> environment) {
        environment.keySet().removeIf(ChildEnvironment::isForeign);
        return environment;
    }

    private static boolean isForeign(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.startsWith("npm_")
                || lower.startsWith("yarn_")
                || lower.startsWith("pnpm_")
                || lower.startsWith("corepack_")
                || lower.equals("node_options")
                || lower.equals("http_proxy")
                || lower.equals("https_proxy")
                || lower.equals("all_proxy")
                || lower.equals("no_proxy");
    }
}
