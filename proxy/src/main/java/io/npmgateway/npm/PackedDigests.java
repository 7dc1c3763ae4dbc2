package io.npmgateway.npm;

import java.util.Base64;
import java.util.HexFormat;

/**
 * The digests of {@code dist.integrity} and {@code dist.shasum} as raw bytes, for {@link VersionDist}'s packed form:
 * 64 and 20 bytes instead of 95 and 40 characters. Only text that comes back exactly as given is packed (one
 * sha512 in canonical base64, 40 lowercase hex digits); anything else stays text.
 */
final class PackedDigests {
    private static final String SHA512_PREFIX = "sha512-";
    private static final int SHA512_TEXT_LENGTH = SHA512_PREFIX.length() + 88;
    private static final HexFormat HEX = HexFormat.of();

    private PackedDigests() {
    }

    /** The digest of a single-sha512 SRI string, or null when it is not exactly one. */
    static byte[] sha512(String integrity) {
        if (integrity == null || integrity.length() != SHA512_TEXT_LENGTH || !integrity.startsWith(SHA512_PREFIX)) {
            return null;
        }
        byte[] digest;
        try {
            digest = Base64.getDecoder().decode(integrity.substring(SHA512_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
        return digest.length == 64 && sha512Text(digest).equals(integrity) ? digest : null;
    }

    static String sha512Text(byte[] digest) {
        return SHA512_PREFIX + Base64.getEncoder().encodeToString(digest);
    }

    /** The digest of a lowercase hex sha1, or null when the text is anything else. */
    static byte[] sha1(String shasum) {
        if (shasum == null || shasum.length() != 40) {
            return null;
        }
        for (int i = 0; i < shasum.length(); i++) {
            char c = shasum.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return null;
            }
        }
        return HEX.parseHex(shasum);
    }

    static String sha1Text(byte[] digest) {
        return HEX.formatHex(digest);
    }
}
