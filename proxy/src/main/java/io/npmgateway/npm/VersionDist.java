package io.npmgateway.npm;

import java.util.Objects;

/**
 * What the tarball path needs to know about one version, extracted while rewriting its packument: the file name
 * the gateway advertises, where the upstream really keeps the tarball, and the digests to verify it against.
 *
 * <p>A tarball request ({@code GET /<name>/-/<file>}) looks the file name up in
 * {@link PackumentIndex#versionForFile(String)}, fetches {@link #upstreamTarballUrl()} from the upstream that
 * served the packument and verifies the bytes with {@link #integrity()} (or {@link #shasum()} for very old
 * versions).
 *
 * <p>The metadata cache keeps one of these per version of every cached packument (115,000 for a large project),
 * so it is held packed: the file name and the usual upstream URL are rebuilt from prefixes shared by all versions
 * of a document, and a sha512 integrity and a hex shasum are kept as their raw digests. Anything unusual (an
 * upstream URL of another shape, an integrity with several hashes) is kept as given. The accessors return the
 * same text either way.
 */
public final class VersionDist {
    private final String version;
    /** {@code <unscoped name>-}, one instance for all versions of a document. */
    private final String fileNamePrefix;
    /** The upstream URL up to the conventional file name, shared by all versions whose URL has that shape. */
    private final String upstreamUrlPrefix;
    /** The whole upstream URL, when it does not end in the conventional file name. */
    private final String upstreamUrl;
    private final byte[] sha512;
    private final String integrityText;
    private final byte[] sha1;
    private final String shasumText;
    private final String upstreamId;

    /**
     * @param version            the key in the packument's {@code versions} object
     * @param fileName           the conventional file name in the rewritten {@code dist.tarball}
     *                           ({@code <unscoped name>-<version>.tgz})
     * @param upstreamTarballUrl the upstream's original {@code dist.tarball}, unmodified
     * @param integrity          {@code dist.integrity} (an SRI string, usually sha512), or null when absent
     * @param shasum             {@code dist.shasum} (hex sha1), or null when absent
     * @param upstreamId         the upstream whose packument gave this version (and so fetches its tarball, with its
     *                           credentials); null when the document was rewritten without naming its upstream
     */
    public VersionDist(String version, String fileName, String upstreamTarballUrl, String integrity, String shasum,
            String upstreamId) {
        this(version, fileNamePrefix(version, fileName), upstreamTarballUrl, null, integrity, shasum, upstreamId);
    }

    /** A version whose upstream is the one of the whole document. */
    public VersionDist(String version, String fileName, String upstreamTarballUrl, String integrity, String shasum) {
        this(version, fileName, upstreamTarballUrl, integrity, shasum, null);
    }

    /**
     * The packed form the rewrite builds: {@code fileNamePrefix} and {@code sharedUrlPrefix} are the instances
     * the document's other versions hold too ({@code sharedUrlPrefix} may be null, or not fit this URL).
     */
    VersionDist(String version, String fileNamePrefix, String upstreamTarballUrl, String sharedUrlPrefix,
            String integrity, String shasum, String upstreamId) {
        this.version = Objects.requireNonNull(version, "version");
        this.fileNamePrefix = Objects.requireNonNull(fileNamePrefix, "fileNamePrefix");
        Objects.requireNonNull(upstreamTarballUrl, "upstreamTarballUrl");
        String urlPrefix = urlPrefix(upstreamTarballUrl, fileName());
        if (urlPrefix == null) {
            this.upstreamUrlPrefix = null;
            this.upstreamUrl = upstreamTarballUrl;
        } else {
            this.upstreamUrlPrefix = urlPrefix.equals(sharedUrlPrefix) ? sharedUrlPrefix : urlPrefix;
            this.upstreamUrl = null;
        }
        this.sha512 = PackedDigests.sha512(integrity);
        this.integrityText = sha512 == null ? integrity : null;
        this.sha1 = PackedDigests.sha1(shasum);
        this.shasumText = sha1 == null ? shasum : null;
        this.upstreamId = upstreamId;
    }

    /** The prefix this version's upstream URL is rebuilt from (for the next version to share), or null. */
    String upstreamUrlPrefix() {
        return upstreamUrlPrefix;
    }

    /** The upstream URL up to {@code fileName}, when the URL ends in it; null otherwise. */
    private static String urlPrefix(String upstreamTarballUrl, String fileName) {
        return upstreamTarballUrl.endsWith(fileName)
                ? upstreamTarballUrl.substring(0, upstreamTarballUrl.length() - fileName.length()) : null;
    }

    private static String fileNamePrefix(String version, String fileName) {
        Objects.requireNonNull(fileName, "fileName");
        String suffix = TarballFileNames.encodeVersion(version) + ".tgz";
        if (!fileName.endsWith(suffix) || fileName.length() == suffix.length()) {
            throw new IllegalArgumentException("'" + fileName + "' is not the conventional file name of " + version);
        }
        return fileName.substring(0, fileName.length() - suffix.length());
    }

    /** The key in the packument's {@code versions} object. */
    public String version() {
        return version;
    }

    /** The conventional file name in the rewritten {@code dist.tarball}. */
    public String fileName() {
        return fileNamePrefix + TarballFileNames.encodeVersion(version) + ".tgz";
    }

    /** The upstream's original {@code dist.tarball}, unmodified. */
    public String upstreamTarballUrl() {
        return upstreamUrl != null ? upstreamUrl : upstreamUrlPrefix + fileName();
    }

    /** {@code dist.integrity}, or null when absent. */
    public String integrity() {
        return sha512 != null ? PackedDigests.sha512Text(sha512) : integrityText;
    }

    /** {@code dist.shasum}, or null when absent. */
    public String shasum() {
        return sha1 != null ? PackedDigests.sha1Text(sha1) : shasumText;
    }

    /** The upstream whose packument gave this version; null when the document was rewritten without naming one. */
    public String upstreamId() {
        return upstreamId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionDist other && version.equals(other.version) && fileName().equals(other.fileName())
                && upstreamTarballUrl().equals(other.upstreamTarballUrl())
                && Objects.equals(integrity(), other.integrity()) && Objects.equals(shasum(), other.shasum())
                && Objects.equals(upstreamId, other.upstreamId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, upstreamTarballUrl(), integrity(), shasum(), upstreamId);
    }

    @Override
    public String toString() {
        return "VersionDist[version=" + version + ", fileName=" + fileName() + ", upstreamTarballUrl="
                + upstreamTarballUrl() + ", integrity=" + integrity() + ", shasum=" + shasum() + ", upstreamId="
                + upstreamId + "]";
    }
}
