package io.npmgateway.npm;

import java.util.Objects;

/**
 * What the tarball path needs to know about one version, extracted while rewriting its packument: the file name
 * the gateway advertises, where the upstream really keeps the tarball, and the digests to verify it against.
 *
 * <p>A tarball request ({@code GET /<name>/-/<file>}) looks the file name up in
 * {@link RewrittenPackument#versionForFile(String)}, fetches {@code upstreamTarballUrl} from the upstream that
 * served the packument and verifies the bytes with {@code integrity} (or {@code shasum} for very old versions).
 *
 * @param version            the key in the packument's {@code versions} object
 * @param fileName           the conventional file name in the rewritten {@code dist.tarball}
 * @param upstreamTarballUrl the upstream's original {@code dist.tarball}, unmodified
 * @param integrity          {@code dist.integrity} (an SRI string, usually sha512), or null when absent
 * @param shasum             {@code dist.shasum} (hex sha1), or null when absent
 * @param upstreamId         the upstream whose packument gave this version (and so fetches its tarball, with its
 *                           credentials); null when the document was rewritten without naming its upstream
 */
public record VersionDist(String version, String fileName, String upstreamTarballUrl, String integrity, String shasum,
        String upstreamId) {
    public VersionDist {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(upstreamTarballUrl, "upstreamTarballUrl");
    }

    /** A version whose upstream is the one of the whole document. */
    public VersionDist(String version, String fileName, String upstreamTarballUrl, String integrity, String shasum) {
        this(version, fileName, upstreamTarballUrl, integrity, shasum, null);
    }
}
