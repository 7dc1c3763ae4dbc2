package io.npmgateway.npm;

import java.util.Map;
import java.util.Optional;

/**
 * Which version a tarball file name belongs to. A conventional name ({@code <unscoped>-<version>.tgz}) is read as
 * its version; the names that cannot be read that way (a version with characters that need percent-encoding, an
 * upstream's own spelling from an old lockfile) are kept in a map, which for a document from an npm-style registry
 * is empty.
 */
final class VersionFiles {
    private VersionFiles() {
    }

    static Optional<VersionDist> find(PackageName name, Map<String, VersionDist> versions,
            Map<String, String> otherFileNames, String fileName) {
        String conventional = TarballFileNames.versionIn(name, fileName);
        VersionDist dist = conventional == null ? null : versions.get(conventional);
        if (dist != null) {
            return Optional.of(dist);
        }
        String version = otherFileNames.get(fileName);
        return version == null ? Optional.empty() : Optional.ofNullable(versions.get(version));
    }
}
