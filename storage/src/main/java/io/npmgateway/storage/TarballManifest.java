package io.npmgateway.storage;

/**
 * A committed, verified tarball: what {@link TarballStore#find(String)} returns on a hit, and what the proxy needs to
 * answer the request (length, digests for headers) and to stream it chunk by chunk with
 * {@link TarballStore#readChunk(TarballManifest, int, java.nio.ByteBuffer)}. A manifest exists only for a tarball
 * whose every chunk is on disk.
 *
 * @param key              the tarball key the proxy chose, e.g. {@code @scope/name/-/name-1.0.0.tgz}
 * @param downloadId       the download attempt whose chunks hold the bytes
 * @param size             tarball length in bytes
 * @param chunkCount       number of chunks; every chunk but the last is {@code chunkSize} long
 * @param chunkSize        chunk size at the time of the download (later changes to the option do not affect it)
 * @param sha512           SRI form, {@code sha512-<base64>}, as in a packument's {@code dist.integrity}
 * @param sha1             lowercase hex, as in {@code dist.shasum}
 * @param storedAtMillis   when it was committed
 * @param lastAccessMillis when it was last found, which drives least-recently-used eviction
 * @param origin           the upstream the bytes came from (for download metrics), or {@code null} when unknown
 */
public record TarballManifest(
        String key,
        long downloadId,
        long size,
        int chunkCount,
        int chunkSize,
        String sha512,
        String sha1,
        long storedAtMillis,
        long lastAccessMillis,
        String origin) {

    /** Length of chunk {@code index}: {@code chunkSize}, except a shorter last chunk. */
    public int chunkLength(int index) {
        if (index < 0 || index >= chunkCount) {
            throw new IndexOutOfBoundsException("chunk " + index + " of " + key + ", which has " + chunkCount);
        }
        return (int) Math.min(chunkSize, size - (long) index * chunkSize);
    }
}
