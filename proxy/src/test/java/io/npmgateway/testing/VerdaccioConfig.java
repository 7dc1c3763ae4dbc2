package io.npmgateway.testing;

import java.nio.file.Path;

/**
 * Writes the {@code config.yaml} of a test Verdaccio: a registry of its own packages only, with no uplinks
 * (nothing a test does may reach another registry) and htpasswd users that clients may create.
 */
final class VerdaccioConfig {

    private VerdaccioConfig() {
    }

    static String render(VerdaccioUpstream.ReadAccess readAccess, int port, Path storage, Path htpasswd) {
        String access = readAccess.verdaccioGroup();
        return String.join("\n",
                "# Written by io.npmgateway.testing.VerdaccioUpstream for one test run.",
                "storage: " + quote(storage),
                "listen: 127.0.0.1:" + port,
                "auth:",
                "  htpasswd:",
                "    file: " + quote(htpasswd),
                "    max_users: 1000",
                // bcrypt as in production, at the cheapest cost: every basic-auth request pays for a hash.
                "    algorithm: bcrypt",
                "    rounds: 4",
                "uplinks: {}",
                "packages:",
                "  '@*/*':",
                "    access: " + access,
                "    publish: $authenticated",
                "    unpublish: $authenticated",
                "  '**':",
                "    access: " + access,
                "    publish: $authenticated",
                "    unpublish: $authenticated",
                "server:",
                "  keepAliveTimeout: 60",
                // The audit middleware forwards to the public registry when enabled.
                "middlewares:",
                "  audit:",
                "    enabled: false",
                "web:",
                "  enable: false",
                "max_body_size: 1000mb",
                "log:",
                "  type: stdout",
                "  format: pretty",
                "  colors: false",
                "  level: http",
                "");
    }

    /** A path as a single-quoted YAML scalar. */
    private static String quote(Path path) {
        return "'" + path.toAbsolutePath().toString().replace("'", "''") + "'";
    }
}
