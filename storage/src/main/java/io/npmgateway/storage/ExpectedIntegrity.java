package io.npmgateway.storage;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a tarball's bytes must hash to before the store will keep them, taken from the packument version's
 * {@code dist.integrity} (Subresource Integrity) and {@code dist.shasum}. The proxy builds one per tarball miss
 * and passes it to {@link TarballWriter#commit(ExpectedIntegrity)}; a mismatch means nothing is stored.
 *
 * <p>Like npm, only the strongest algorithm present is checked (sha512 over sha1), and any of several entries
 * of that algorithm may match. Entries of algorithms the store does not compute (sha256, sha384) are skipped;
 * malformed input is rejected, because silently treating a corrupted packument as "no check" would let a
 * tampered tarball in.
 */
public final class ExpectedIntegrity {

    private static final ExpectedIntegrity NONE = new ExpectedIntegrity(null, List.of());

    // algo-base64, with SRI's optional "?options" suffix, which carries nothing we check.
    private static final Pattern SRI_ENTRY = Pattern.compile("([A-Za-z0-9]+)-([A-Za-z0-9+/]+={0,2})(\\?\\S*)?");
    private static final Pattern SHASUM = Pattern.compile("[0-9A-Fa-f]{40}");

    private final DigestAlgorithm algorithm;
    private final List<byte[]> digests;

    private ExpectedIntegrity(DigestAlgorithm algorithm, List<byte[]> digests) {
        this.algorithm = algorithm;
        this.digests = digests;
    }

    /** No expectation: every commit succeeds. For upstreams whose packuments carry neither field. */
    public static ExpectedIntegrity none() {
        return NONE;
    }

    /**
     * Parses a version's {@code dist.integrity} and {@code dist.shasum}; either may be null or blank.
     *
     * @throws IllegalArgumentException when either is present but malformed
     */
    public static ExpectedIntegrity of(String integrity, String shasum) {
        ExpectedIntegrity fromIntegrity = ofIntegrity(integrity);
        ExpectedIntegrity fromShasum = ofShasum(shasum);
        return fromIntegrity.isNone() ? fromShasum : fromIntegrity;
    }

    /**
     * Parses an SRI value: one or more space-separated {@code algo-base64} entries.
     *
     * @throws IllegalArgumentException when an entry is malformed, or a sha512/sha1 entry has the wrong length
     */
    public static ExpectedIntegrity ofIntegrity(String integrity) {
        if (integrity == null || integrity.isBlank()) {
            return NONE;
        }
        DigestAlgorithm strongest = null;
        List<byte[]> digests = new ArrayList<>();
        for (String entry : integrity.trim().split("\\s+")) {
            Matcher matcher = SRI_ENTRY.matcher(entry);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("dist.integrity '" + abbreviate(integrity)
                        + "' is not a Subresource Integrity value: expected entries like sha512-<base64>");
            }
            DigestAlgorithm algorithm = DigestAlgorithm.bySriName(matcher.group(1));
            if (algorithm == null) {
                continue;
            }
            byte[] digest = decodeBase64(matcher.group(2), integrity);
            if (digest.length != algorithm.length()) {
                throw new IllegalArgumentException("dist.integrity '" + abbreviate(integrity) + "' has a "
                        + algorithm.sriName() + " entry of " + digest.length + " bytes; "
                        + algorithm.sriName() + " digests are " + algorithm.length() + " bytes");
            }
            if (strongest == null || algorithm.compareTo(strongest) > 0) {
                strongest = algorithm;
                digests.clear();
            }
            if (algorithm == strongest) {
                digests.add(digest);
            }
        }
        return strongest == null ? NONE : new ExpectedIntegrity(strongest, List.copyOf(digests));
    }

    /**
     * Parses a {@code dist.shasum}: 40 hex digits of SHA-1.
     *
     * @throws IllegalArgumentException when it is present but not 40 hex digits
     */
    public static ExpectedIntegrity ofShasum(String shasum) {
        if (shasum == null || shasum.isBlank()) {
            return NONE;
        }
        String trimmed = shasum.trim();
        if (!SHASUM.matcher(trimmed).matches()) {
            throw new IllegalArgumentException(
                    "dist.shasum '" + abbreviate(shasum) + "' is not a SHA-1 digest: expected 40 hex digits");
        }
        return new ExpectedIntegrity(DigestAlgorithm.SHA1, List.of(HexFormat.of().parseHex(trimmed)));
    }

    /** True when there is nothing to check, so any bytes commit. */
    public boolean isNone() {
        return algorithm == null;
    }

    /** Whether the computed digests satisfy this expectation, compared in constant time. */
    boolean matches(TarballDigests actual) {
        if (isNone()) {
            return true;
        }
        byte[] computed = actual.get(algorithm);
        boolean matched = false;
        // Look at every entry, and use MessageDigest.isEqual, so timing says nothing about how close a forgery got.
        for (byte[] digest : digests) {
            matched |= MessageDigest.isEqual(digest, computed);
        }
        return matched;
    }

    /** The computed digest in the same algorithm and SRI form as this expectation, for mismatch reports. */
    String describeActual(TarballDigests actual) {
        return isNone() ? "" : algorithm.sri(actual.get(algorithm));
    }

    /** The expectation in SRI form ({@code sha512-...}, {@code sha1-...}), or {@code "none"}. */
    @Override
    public String toString() {
        if (isNone()) {
            return "none";
        }
        return digests.stream().map(algorithm::sri).collect(Collectors.joining(" "));
    }

    private static byte[] decodeBase64(String base64, String integrity) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "dist.integrity '" + abbreviate(integrity) + "' has an entry that is not valid base64", e);
        }
    }

    // Packuments come from upstreams we do not control; keep a garbage value from flooding the log line.
    private static String abbreviate(String value) {
        return value.length() <= 120 ? value : value.substring(0, 117) + "...";
    }
}
