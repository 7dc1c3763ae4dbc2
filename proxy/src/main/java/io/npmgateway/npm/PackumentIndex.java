package io.npmgateway.npm;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the request path needs to know about a packument without reading its bytes: its dist-tags, the versions
 * that have a tarball, and which version a tarball file name belongs to. Kept by the metadata cache beside the
 * encoded documents (which it keeps compressed); a tarball miss resolves its upstream URL and expected digests
 * here, the version and dist-tags routes resolve tags here.
 *
 * @param name         the package the document was requested (and validated) as
 * @param distTags     tag to version, for tags whose value is a string
 * @param versions     version to tarball facts, in document order
 * @param fileVersions tarball file name to version, for the names that are not the conventional
 *                     {@code <unscoped>-<version>.tgz} (those are read as their version): encoded conventional names
 *                     and the upstream's original ones
 * @param modified     {@code time.modified}, or null when the upstream sent none
 */
public record PackumentIndex(
        PackageName name,
        Map<String, String> distTags,
        Map<String, VersionDist> versions,
        Map<String, String> fileVersions,
        String modified) {

    /**
     * Roughly what one version costs on the heap: its packed {@link VersionDist}, its version string and its map
     * entry. Measured with {@code bench}'s {@code IndexFootprint}: 275 bytes on synthetic documents, 231 on the
     * real typescript packument (563 and 526 before the packed form); a little above both.
     */
    static final int BYTES_PER_VERSION = 300;

    public PackumentIndex {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(distTags, "distTags");
        Objects.requireNonNull(versions, "versions");
        Objects.requireNonNull(fileVersions, "fileVersions");
    }

    /** The index of a rewritten document (its maps are shared, not copied: they are already unmodifiable). */
    public static PackumentIndex of(RewrittenPackument document) {
        return new PackumentIndex(document.name(), document.distTags(), document.versions(),
                document.fileVersions(), document.modified());
    }

    /** The version a tarball file name (conventional or the upstream's original) belongs to. */
    public Optional<VersionDist> versionForFile(String fileName) {
        return VersionFiles.find(name, versions, fileVersions, fileName);
    }

    /**
     * An estimate of the heap this index holds, for the metadata cache's weigher. For the ~1,500 packuments of a
     * 2,000-package project (115,000 versions) the index is ~35 MB: about half as much as their compressed
     * documents, so it must be counted.
     */
    public long estimatedBytes() {
        return 256L + (long) versions.size() * BYTES_PER_VERSION + distTags.size() * 96L;
    }
}
