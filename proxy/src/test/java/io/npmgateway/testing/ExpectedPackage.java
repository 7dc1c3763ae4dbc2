package io.npmgateway.testing;

/**
 * What an install of a fixture project must resolve one dependency to.
 *
 * @param name      the package name
 * @param version   the exact version it resolves to
 * @param npmPath   where npm places it: its key in {@code package-lock.json}'s {@code packages} and its
 *                  directory under the project
 * @param installed false for a package that is resolved (and locked) but not installed on the machines the
 *                  tests run on, i.e. an optional dependency for another platform
 */
public record ExpectedPackage(String name, String version, String npmPath, boolean installed) {

    /** {@code name@version}. */
    public String spec() {
        return name + "@" + version;
    }
}
