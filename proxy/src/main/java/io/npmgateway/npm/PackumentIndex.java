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
 * @param fileVersions tarball file name to version (the conventional names and the upstream's original ones)
 * @param modified     {@code time.modified}, or null when the upstream sent none
 */
public record PackumentIndex(
        PackageName name,
        Map<String, String> distTags,
        Map<String, VersionDist> versions,
        Map<String, String> fileVersions,
        String modified) {

    /** Roughly what one version costs on the heap: its {@link VersionDist}, its strings and its map entries. */
    static final int BYTES_PER_VERSION = 640;

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
        String version = fileVersions.get(fileName);
        return version == null ? Optional.empty() : Optional.ofNullable(versions.get(version));
    }

    /**
     * An estimate of the heap this index holds, for the metadata cache's weigher. For the ~1,500 packuments of a
     * 2,000-package project (115,000 versions) the index is ~70 MB: as much as their compressed documents, so it
     * must be counted.
     */
    public long estimatedBytes() {
        return 256L + (long) versions.size() * BYTES_PER_VERSION + distTags.size() * 96L;
    }
}
