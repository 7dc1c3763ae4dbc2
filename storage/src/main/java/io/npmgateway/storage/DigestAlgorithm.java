package io.npmgateway.storage;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** The two digests npm publishes for a tarball, weakest first, so {@code compareTo} ranks their strength. */
enum DigestAlgorithm {
    SHA1("sha1", "SHA-1", 20),
    SHA512("sha512", "SHA-512", 64);

    private final String sriName;
    private final String jcaName;
    private final int length;

    DigestAlgorithm(String sriName, String jcaName, int length) {
        this.sriName = sriName;
        this.jcaName = jcaName;
        this.length = length;
    }

    String sriName() {
        return sriName;
    }

    int length() {
        return length;
    }

    MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            // Every Java runtime must provide SHA-1 and SHA-512, so this is a broken JDK, not a user error.
            throw new IllegalStateException(jcaName + " is not available in this Java runtime", e);
        }
    }

    String sri(byte[] digest) {
        return sriName + "-" + Base64.getEncoder().encodeToString(digest);
    }

    /** The algorithm an SRI entry names, or null for one this store does not compute (sha256, sha384, ...). */
    static DigestAlgorithm bySriName(String name) {
        for (DigestAlgorithm algorithm : values()) {
            if (algorithm.sriName.equalsIgnoreCase(name)) {
                return algorithm;
            }
        }
        return null;
    }
}
