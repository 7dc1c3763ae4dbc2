package io.npmgateway.npm;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The product of one streaming pass over an upstream packument by {@link PackumentRewriter}: both
 * representations as final bytes, plus the indexes the request path needs without reparsing them.
 *
 * <p>Sits between the upstream fetch and the metadata cache: upstream bytes are rewritten once per upstream
 * response, and the cache keeps this value (and later the gzip of both documents), so a cache hit serves
 * {@link #full()} or {@link #abbreviated()} without any JSON work, resolves dist-tags through
 * {@link #distTags()}, and a tarball request maps its file name to a {@link VersionDist}.
 *
 * <p>The byte arrays are shared, not copied (they are tens of megabytes): callers must never modify them.
 *
 * @param name         the package the document was requested (and validated) as
 * @param full         the upstream document with every {@code versions[*].dist.tarball} pointing at the gateway
 * @param abbreviated  the abbreviated ("corgi") document derived from it
 * @param distTags     tag to version, for tags whose value is a string
 * @param versions     version to tarball facts, in document order, for versions that have a string
 *                     {@code dist.tarball}
 * @param fileVersions tarball file name to version, for the names {@link #versionForFile} cannot read as
 *                     {@code <unscoped>-<version>.tgz}: conventional names with an encoded version and the original
 *                     upstream names, so old lockfile URLs resolve too
 * @param modified     {@code time.modified}, or null when the upstream sent none
 */
public record RewrittenPackument(
        PackageName name,
        byte[] full,
        byte[] abbreviated,
        Map<String, String> distTags,
        Map<String, VersionDist> versions,
        Map<String, String> fileVersions,
        String modified) {

    public RewrittenPackument {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(full, "full");
        Objects.requireNonNull(abbreviated, "abbreviated");
        distTags = Collections.unmodifiableMap(Objects.requireNonNull(distTags, "distTags"));
        versions = Collections.unmodifiableMap(Objects.requireNonNull(versions, "versions"));
        fileVersions = Collections.unmodifiableMap(Objects.requireNonNull(fileVersions, "fileVersions"));
    }

    /** The bytes of the requested representation. */
    public byte[] document(PackumentRepresentation representation) {
        return representation == PackumentRepresentation.ABBREVIATED ? abbreviated : full;
    }

    /** The version a tarball file name (conventional or the upstream's original) belongs to. */
    public Optional<VersionDist> versionForFile(String fileName) {
        return VersionFiles.find(name, versions, fileVersions, fileName);
    }

    /** Sizes only: the documents and indexes are far too large for a log line. */
    @Override
    public String toString() {
        return "RewrittenPackument[" + name + ", full=" + full.length + " bytes, abbreviated=" + abbreviated.length
                + " bytes, " + versions.size() + " versions, " + distTags.size() + " dist-tags, modified=" + modified + "]";
    }
}
