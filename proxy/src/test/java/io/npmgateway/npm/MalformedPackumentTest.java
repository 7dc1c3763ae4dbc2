package io.npmgateway.npm;

import static io.npmgateway.npm.Fixtures.BASE;
import static io.npmgateway.npm.Fixtures.bytes;
import static io.npmgateway.npm.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class MalformedPackumentTest {

    private final PackumentRewriter rewriter = new PackumentRewriter(BASE);
    private static final PackageName X = PackageName.parse("x");

    @Test
    void invalidJsonIsRejectedWithItsPosition() {
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":\"x\",\"versions\":{]}")))
                .isInstanceOf(MalformedPackumentException.class)
                .hasMessageStartingWith("packument of x is not valid JSON at line 1, column 25: Unexpected close marker ']'")
                .hasMessageNotContaining("REDACTED");
    }

    @Test
    void truncatedDocumentIsRejected() {
        byte[] whole = bytes("unscoped.json");
        byte[] half = Arrays.copyOf(whole, whole.length / 2);

        assertThatThrownBy(() -> rewriter.rewrite(PackageName.parse("tiny-lib"), half))
                .isInstanceOf(MalformedPackumentException.class)
                .hasMessageContaining("not valid JSON")
                .hasMessageContaining("end-of-input");
    }

    @Test
    void truncatedStreamIsRejectedLikeTruncatedBytes() {
        byte[] whole = bytes("unscoped.json");
        byte[] half = Arrays.copyOf(whole, whole.length / 2);

        assertThatThrownBy(() -> rewriter.rewrite(PackageName.parse("tiny-lib"), new ByteArrayInputStream(half), half.length))
                .isInstanceOf(MalformedPackumentException.class);
    }

    @Test
    @Timeout(5)
    void aTenThousandDeepNestingBombFailsFastOnTheDepthLimit() {
        String bomb = "{\"name\":\"x\",\"versions\":{\"1.0.0\":{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}}}";

        assertThatThrownBy(() -> rewriter.rewrite(X, utf8(bomb)))
                .isInstanceOf(MalformedPackumentException.class)
                .hasMessageContaining("exceeds a parser limit")
                .hasMessageContaining("nesting depth (257) exceeds the maximum allowed (256")
                // fails at the limit (column ~290), not after reading the whole 20,000-byte bomb
                .hasMessageMatching("(?s).* at line 1, column 2\\d\\d: .*");
    }

    @Test
    void topLevelArrayIsRejected() {
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("[{\"name\":\"x\"}]")))
                .isInstanceOf(MalformedPackumentException.class)
                .hasMessageStartingWith("packument of x is an array, not a JSON object");
    }

    @Test
    void topLevelScalarOrEmptyDocumentIsRejected() {
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("\"x\"")))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("is a string, not a JSON object");
        assertThatThrownBy(() -> rewriter.rewrite(X, new byte[0]))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("is empty");
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("  \n ")))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("is empty");
    }

    @Test
    void aDocumentForAnotherPackageIsRejected() {
        assertThatThrownBy(() -> rewriter.rewrite(PackageName.parse("@acme/widget"), bytes("unscoped.json")))
                .isInstanceOf(MalformedPackumentException.class)
                .hasMessageStartingWith("packument of @acme/widget is named \"tiny-lib\"");
    }

    @Test
    void nameComparisonIsExact() {
        assertThatThrownBy(() -> rewriter.rewrite(PackageName.parse("Tiny-Lib"), bytes("unscoped.json")))
                .isInstanceOf(MalformedPackumentException.class);
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":7}")))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("\"name\" that is a number");
    }

    @Test
    void versionsThatIsNotAnObjectIsRejected() {
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":\"x\",\"versions\":[]}")))
                .isInstanceOf(MalformedPackumentException.class)
                .hasMessageContaining("\"versions\" that is an array, not an object");
    }

    @Test
    void duplicateVersionsOrNameIsRejectedAsAmbiguous() {
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":\"x\",\"versions\":{},\"versions\":{}}")))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("has \"versions\" twice");
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":\"x\",\"name\":\"x\"}")))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("has \"name\" twice");
    }

    @Test
    void trailingContentIsRejected() {
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":\"x\"} {\"name\":\"y\"}")))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("content after the top-level object");
        assertThatThrownBy(() -> rewriter.rewrite(X, utf8("{\"name\":\"x\"}garbage")))
                .isInstanceOf(MalformedPackumentException.class);
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[] doc = utf8("{\"name\":\"x\",\"readme\":\"ab\"}");
        doc[21] = (byte) 0xC3; // a lead byte followed by an ASCII byte

        assertThatThrownBy(() -> rewriter.rewrite(X, doc))
                .isInstanceOf(MalformedPackumentException.class).hasMessageContaining("not valid JSON");
    }

    @Test
    void messagesNeverCarryRawControlCharactersOrLongUpstreamText() {
        String name = "evil\u0007\r\n" + "y".repeat(1000);
        try {
            rewriter.rewrite(X, utf8("{\"name\":\"" + name.replace("\r", "\\r").replace("\n", "\\n").replace("\u0007", "\\u0007") + "\"}"));
        } catch (MalformedPackumentException e) {
            assertThat(e.getMessage()).doesNotContain("\u0007", "\r", "\n").hasSizeLessThan(400);
            assertThat(e.getMessage()).contains("\\u0007");
            return;
        }
        throw new AssertionError("expected MalformedPackumentException");
    }
}
