package io.npmgateway.storage;

import java.security.MessageDigest;
import java.util.HexFormat;

/** The digests of the bytes a {@link TarballWriter} received, computed as they went in. */
record TarballDigests(byte[] sha512, byte[] sha1) {

    byte[] get(DigestAlgorithm algorithm) {
        return algorithm == DigestAlgorithm.SHA512 ? sha512 : sha1;
    }

    String sha512Sri() {
        return DigestAlgorithm.SHA512.sri(sha512);
    }

    String sha1Hex() {
        return HexFormat.of().formatHex(sha1);
    }

    /** Feeds both digests at once, so each byte of a tarball passes through memory once. */
    static final class Computer {
        private final MessageDigest sha512 = DigestAlgorithm.SHA512.newDigest();
        private final MessageDigest sha1 = DigestAlgorithm.SHA1.newDigest();

        void update(byte[] bytes, int offset, int length) {
            sha512.update(bytes, offset, length);
            sha1.update(bytes, offset, length);
        }

        TarballDigests finish() {
            return new TarballDigests(sha512.digest(), sha1.digest());
        }
    }
}
