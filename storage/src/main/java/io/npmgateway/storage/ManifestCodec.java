package io.npmgateway.storage;

import java.nio.ByteBuffer;

/**
 * The binary form of a manifest in the manifest family (the tarball key is the RocksDB key). Fixed length; digests
 * are stored raw, which keeps 200,000 manifests near 23 MB on disk and cheap to scan at open.
 *
 * <pre>
 * version:1  downloadId:8  size:8  chunkCount:4  chunkSize:4  sha512:64  sha1:20  storedAtMillis:8
 * [version 2 only] originLength:1  origin:originLength (UTF-8)
 * </pre>
 *
 * Version 1 manifests (no origin) are still read.
 */
final class ManifestCodec {

    private static final byte VERSION_1 = 1;
    private static final byte VERSION = 2;
    static final int LENGTH = 1 + 8 + 8 + 4 + 4 + 64 + 20 + 8;
    private static final int MAX_ORIGIN = 255;

    private ManifestCodec() {
    }

    static byte[] encode(long downloadId, long size, int chunkCount, int chunkSize, TarballDigests digests,
            long storedAtMillis, String origin) {
        byte[] originBytes = origin == null ? new byte[0]
                : origin.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (originBytes.length > MAX_ORIGIN) {
            originBytes = java.util.Arrays.copyOf(originBytes, MAX_ORIGIN);
        }
        return ByteBuffer.allocate(LENGTH + 1 + originBytes.length)
                .put(VERSION)
                .putLong(downloadId)
                .putLong(size)
                .putInt(chunkCount)
                .putInt(chunkSize)
                .put(digests.sha512())
                .put(digests.sha1())
                .putLong(storedAtMillis)
                .put((byte) originBytes.length)
                .put(originBytes)
                .array();
    }

    /** Decodes a manifest; the last access is not part of it (it lives in the access family and in memory). */
    static TarballManifest decode(String key, byte[] value, long lastAccessMillis) {
        boolean v1 = value.length == LENGTH && value[0] == VERSION_1;
        boolean v2 = value.length > LENGTH && value[0] == VERSION
                && value.length == LENGTH + 1 + (value[LENGTH] & 0xff);
        if (!v1 && !v2) {
            throw new StoreException("manifest of " + key + " is unreadable (" + value.length + " bytes, version "
                    + (value.length > 0 ? value[0] : -1) + ")");
        }
        ByteBuffer in = ByteBuffer.wrap(value, 1, LENGTH - 1);
        long downloadId = in.getLong();
        long size = in.getLong();
        int chunkCount = in.getInt();
        int chunkSize = in.getInt();
        byte[] sha512 = new byte[64];
        byte[] sha1 = new byte[20];
        in.get(sha512).get(sha1);
        long storedAt = in.getLong();
        String origin = null;
        if (v2 && value[LENGTH] != 0) {
            origin = new String(value, LENGTH + 1, value[LENGTH] & 0xff, java.nio.charset.StandardCharsets.UTF_8);
        }
        TarballDigests digests = new TarballDigests(sha512, sha1);
        return new TarballManifest(key, downloadId, size, chunkCount, chunkSize, digests.sha512Sri(),
                digests.sha1Hex(), storedAt, Math.max(storedAt, lastAccessMillis), origin);
    }

    static byte[] encodeAccess(long millis) {
        return ByteBuffer.allocate(Long.BYTES).putLong(millis).array();
    }

    static long decodeAccess(byte[] value) {
        return value.length == Long.BYTES ? ByteBuffer.wrap(value).getLong() : 0L;
    }
}
