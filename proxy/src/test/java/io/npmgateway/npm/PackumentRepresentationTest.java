package io.npmgateway.npm;

import static io.npmgateway.npm.PackumentRepresentation.ABBREVIATED;
import static io.npmgateway.npm.PackumentRepresentation.FULL;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PackumentRepresentationTest {

    static Stream<Arguments> acceptHeaders() {
        return Stream.of(
                // what clients send (reference §2.1)
                Arguments.of("application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*", ABBREVIATED),
                Arguments.of("application/vnd.npm.install-v1+json", ABBREVIATED),
                Arguments.of("application/json", FULL),
                Arguments.of(null, FULL),
                Arguments.of("", FULL),
                Arguments.of("*/*", FULL),
                Arguments.of("application/*", FULL),
                // weights
                Arguments.of("application/vnd.npm.install-v1+json;q=0", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=0.000, */*", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=0.5, application/json", FULL),
                Arguments.of("application/json; q=0.5, application/vnd.npm.install-v1+json", ABBREVIATED),
                Arguments.of("application/vnd.npm.install-v1+json;q=0.8, application/json;q=0.8", ABBREVIATED),
                Arguments.of("application/vnd.npm.install-v1+json; q=0.5, */*", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=0.5, application/*; q=0.4, */*", ABBREVIATED),
                Arguments.of("application/vnd.npm.install-v1+json; q=0.5, application/json; q=0.1, */*", ABBREVIATED),
                Arguments.of("application/json;q=0, application/vnd.npm.install-v1+json;q=0.001", ABBREVIATED),
                Arguments.of("text/html, application/vnd.npm.install-v1+json", ABBREVIATED),
                // spelling tolerated by RFC 9110
                Arguments.of("APPLICATION/VND.NPM.INSTALL-V1+JSON", ABBREVIATED),
                Arguments.of("application/vnd.npm.install-v1+json;Q=1", ABBREVIATED),
                Arguments.of("application/vnd.npm.install-v1+json ; charset=utf-8 ; q=1.", ABBREVIATED),
                Arguments.of("  application/vnd.npm.install-v1+json  ,  , application/json;q=0.8 ", ABBREVIATED),
                // garbage: the full document is always a correct answer
                Arguments.of("garbage", FULL),
                Arguments.of(";;;,,,", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=abc", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=1.5", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=0.1234", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q", FULL),
                Arguments.of("application/vnd.npm.install-v1+json; q=-1", FULL),
                Arguments.of("application/vnd.npm.install-v1+json/extra", FULL),
                Arguments.of("application/vnd.npm.install-v1+json\u0000", FULL),
                Arguments.of("application/vnd.npm.install-v1+json\r\n", FULL),
                Arguments.of("\tapplication/vnd.npm.install-v1+json\t", ABBREVIATED),
                Arguments.of("/json, application/vnd.npm.install-v1+json", FULL),
                Arguments.of("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", FULL));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @MethodSource("acceptHeaders")
    void negotiatesFromTheAcceptHeader(String accept, PackumentRepresentation expected) {
        assertThat(PackumentRepresentation.negotiate(accept)).isEqualTo(expected);
    }

    @Test
    @Timeout(2)
    void aHundredKilobyteHeaderGetsTheFullDocumentWithoutFailing() {
        String huge = "application/vnd.npm.install-v1+json, " + "x/y;a=b, ".repeat(12_000);
        String hugeGarbage = ";=,q".repeat(25_000);

        assertThat(huge.length()).isGreaterThan(100_000);
        assertThat(PackumentRepresentation.negotiate(huge)).isEqualTo(FULL);
        assertThat(PackumentRepresentation.negotiate(hugeGarbage)).isEqualTo(FULL);
    }

    @Test
    void aLongButBoundedHeaderIsStillParsed() {
        String accept = "x/y, ".repeat(1000) + "application/vnd.npm.install-v1+json";

        assertThat(accept.length()).isLessThanOrEqualTo(PackumentRepresentation.MAX_ACCEPT_LENGTH);
        assertThat(PackumentRepresentation.negotiate(accept)).isEqualTo(ABBREVIATED);
    }

    @Test
    void contentTypesEchoTheNegotiatedMediaType() {
        assertThat(FULL.contentType()).isEqualTo("application/json");
        assertThat(ABBREVIATED.contentType()).isEqualTo("application/vnd.npm.install-v1+json");
    }

    @Test
    void representationSelectsTheMatchingDocument() {
        RewrittenPackument result = new PackumentRewriter(Fixtures.BASE)
                .rewrite(PackageName.parse("tiny-lib"), Fixtures.bytes("unscoped.json"));

        assertThat(result.document(FULL)).isSameAs(result.full());
        assertThat(result.document(ABBREVIATED)).isSameAs(result.abbreviated());
    }
}
