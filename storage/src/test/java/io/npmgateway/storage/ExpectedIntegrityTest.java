package io.npmgateway.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ExpectedIntegrityTest {

    private static final byte[] CONTENT = "tarball bytes".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER = "other bytes".getBytes(StandardCharsets.UTF_8);

    @Test
    void sha512EntryMatchesTheBytesItWasComputedFrom() {
        ExpectedIntegrity expected = ExpectedIntegrity.ofIntegrity(sri("SHA-512", "sha512", CONTENT));

        assertThat(expected.matches(digestsOf(CONTENT))).isTrue();
        assertThat(expected.matches(digestsOf(OTHER))).isFalse();
    }

    @Test
    void strongestAlgorithmWinsWhenSeveralEntriesArePresent() {
        // A sha1 entry for other bytes must not matter once a sha512 entry is present.
        String integrity = sri("SHA-1", "sha1", OTHER) + " " + sri("SHA-512", "sha512", CONTENT);

        ExpectedIntegrity expected = ExpectedIntegrity.ofIntegrity(integrity);

        assertThat(expected.matches(digestsOf(CONTENT))).isTrue();
        assertThat(expected.toString()).startsWith("sha512-").doesNotContain("sha1-");
    }

    @Test
    void anyOfSeveralEntriesOfTheStrongestAlgorithmMayMatch() {
        String integrity = sri("SHA-512", "sha512", OTHER) + "  " + sri("SHA-512", "sha512", CONTENT);

        assertThat(ExpectedIntegrity.ofIntegrity(integrity).matches(digestsOf(CONTENT))).isTrue();
    }

    @Test
    void unknownAlgorithmsAndSriOptionsAreIgnored() {
        String integrity = sri("SHA-256", "sha256", OTHER) + " " + sri("SHA-512", "sha512", CONTENT) + "?foo";

        assertThat(ExpectedIntegrity.ofIntegrity(integrity).matches(digestsOf(CONTENT))).isTrue();
    }

    @Test
    void shasumAloneIsCheckedAsSha1() {
        String shasum = HexFormat.of().formatHex(digest("SHA-1", CONTENT)).toUpperCase();

        ExpectedIntegrity expected = ExpectedIntegrity.of(null, shasum);

        assertThat(expected.isNone()).isFalse();
        assertThat(expected.matches(digestsOf(CONTENT))).isTrue();
        assertThat(expected.matches(digestsOf(OTHER))).isFalse();
    }

    @Test
    void integrityIsPreferredOverShasum() {
        String shasumOfOther = HexFormat.of().formatHex(digest("SHA-1", OTHER));

        ExpectedIntegrity expected = ExpectedIntegrity.of(sri("SHA-512", "sha512", CONTENT), shasumOfOther);

        assertThat(expected.matches(digestsOf(CONTENT))).isTrue();
    }

    @Test
    void shasumIsUsedWhenIntegrityNamesOnlyUnknownAlgorithms() {
        String shasum = HexFormat.of().formatHex(digest("SHA-1", CONTENT));

        ExpectedIntegrity expected = ExpectedIntegrity.of(sri("SHA-256", "sha256", OTHER), shasum);

        assertThat(expected.matches(digestsOf(CONTENT))).isTrue();
        assertThat(expected.matches(digestsOf(OTHER))).isFalse();
    }

    @Test
    void absentOrBlankFieldsMeanNoExpectation() {
        assertThat(ExpectedIntegrity.of(null, null).isNone()).isTrue();
        assertThat(ExpectedIntegrity.of("  ", "").isNone()).isTrue();
        assertThat(ExpectedIntegrity.none().matches(digestsOf(OTHER))).isTrue();
        assertThat(ExpectedIntegrity.none()).hasToString("none");
    }

    @Test
    void garbageIntegrityIsRejectedWithAClearMessage() {
        assertThatThrownBy(() -> ExpectedIntegrity.ofIntegrity("not an integrity value"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a Subresource Integrity value");
        assertThatThrownBy(() -> ExpectedIntegrity.ofIntegrity("sha512-@@@@"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dist.integrity");
    }

    @Test
    void digestOfTheWrongLengthIsRejected() {
        String truncated = "sha512-" + Base64.getEncoder().encodeToString(new byte[20]);

        assertThatThrownBy(() -> ExpectedIntegrity.ofIntegrity(truncated))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("20 bytes")
                .hasMessageContaining("64 bytes");
    }

    @Test
    void garbageShasumIsRejectedWithAClearMessage() {
        assertThatThrownBy(() -> ExpectedIntegrity.of(null, "xyz"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dist.shasum")
                .hasMessageContaining("40 hex digits");
    }

    @Test
    void mismatchIsDescribedInTheExpectedAlgorithm() {
        ExpectedIntegrity expected = ExpectedIntegrity.ofShasum(HexFormat.of().formatHex(digest("SHA-1", OTHER)));

        assertThat(expected.describeActual(digestsOf(CONTENT))).isEqualTo(sri("SHA-1", "sha1", CONTENT));
    }

    static TarballDigests digestsOf(byte[] content) {
        return new TarballDigests(digest("SHA-512", content), digest("SHA-1", content));
    }

    static String sri(String jcaName, String sriName, byte[] content) {
        return sriName + "-" + Base64.getEncoder().encodeToString(digest(jcaName, content));
    }

    static byte[] digest(String jcaName, byte[] content) {
        try {
            return MessageDigest.getInstance(jcaName).digest(content);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
