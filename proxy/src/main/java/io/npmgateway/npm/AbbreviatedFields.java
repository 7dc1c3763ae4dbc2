package io.npmgateway.npm;

import java.util.Set;

/**
 * Which version fields the abbreviated packument keeps: npm's minifier allow-list (reference §2.3). {@code dist}
 * is kept too but handled by the rewriter itself, {@code bundledDependencies} is renamed, {@code hasInstallScript}
 * is computed from {@code scripts}, and {@code libc} is deliberately absent, as on the public registry.
 */
final class AbbreviatedFields {

    private static final Set<String> KEPT = Set.of(
            "name", "version",
            "dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta",
            "bundleDependencies", "devDependencies", "acceptDependencies",
            "bin", "directories", "engines", "funding", "os", "cpu",
            "deprecated", "_hasShrinkwrap");

    private AbbreviatedFields() {
    }

    /** Kept when not empty in the minifier's sense (null, false, "", 0, {} and [] are dropped). */
    static boolean isKept(String field) {
        return KEPT.contains(field);
    }

    /** The lifecycle scripts that make a package need a build step: npm sets {@code hasInstallScript} for them. */
    static boolean isInstallScript(String script) {
        return script.equals("preinstall") || script.equals("install") || script.equals("postinstall");
    }
}
