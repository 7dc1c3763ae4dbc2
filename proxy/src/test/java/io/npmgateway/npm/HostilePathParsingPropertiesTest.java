package io.npmgateway.npm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.npmgateway.testing.HostileInputs;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Property-based attack on the first step of the request path: {@link RequestPathParser} (with {@link PackageName})
 * and {@link PackumentRepresentation#negotiate}, over inputs from {@link HostileInputs} (paths assembled from the
 * pieces attackers use next to the shapes real clients send, so most tries land near the parser's decisions) and
 * plain random text. A failure names the seed, the try and the input.
 *
 * <p>Whatever the input: the parser either accepts it as a well-formed request or throws
 * {@link InvalidRequestException} (the server's 400) with a printable message; never another exception. What it
 * accepts is safe to use as a cache key and in an upstream URL: names and file names are made of npm's name
 * characters only, no {@code .}/{@code ..} segment, no backslash or control character, and the canonical spelling
 * of an accepted name parses back to the same request.
 */
class HostilePathParsingPropertiesTest {
    private static final long SEED = 0x5eed_0008L;
    private static final RequestPathParser ROOT = new RequestPathParser("/");
    private static final RequestPathParser PREFIXED = new RequestPathParser("/npm/");

    @Test
    void assembledHostilePathsAreAcceptedSafelyOrRejectedWithA400Message() {
        HostileInputs inputs = new HostileInputs(SEED);
        forEachTry(5000, inputs::path, path -> {
            checkParse(ROOT, path);
            checkParse(PREFIXED, "/npm" + path);
        });
    }

    @Test
    void arbitraryTextAfterTheSlashIsAcceptedSafelyOrRejectedWithA400Message() {
        HostileInputs inputs = new HostileInputs(SEED + 1);
        forEachTry(5000, () -> inputs.text(inputs.nextInt(40), inputs.nextInt(2) == 0 ? 0x80 : 0x10000), any -> {
            checkParse(ROOT, "/" + any);
            checkParse(PREFIXED, "/npm/" + any);
        });
    }

    @Test
    void overLongPathsAreRejectedAsTooLong() {
        HostileInputs inputs = new HostileInputs(SEED + 2);
        forEachTry(200, inputs::path, path -> {
            Outcome o = parse(ROOT, "/" + "a/".repeat(RequestPathParser.MAX_PATH_LENGTH) + path);
            assertThat(o.error()).isNotNull().contains("longer than");
        });
    }

    @Test
    void acceptHeadersOfAnyShapeNegotiateWithoutThrowingAndOnlyAnExplicitCorgiSelectsIt() {
        HostileInputs inputs = new HostileInputs(SEED + 3);
        forEachTry(5000, inputs::accept, accept -> {
            PackumentRepresentation r = PackumentRepresentation.negotiate(accept);
            assertThat(r).isNotNull();
            if (!accept.toLowerCase(java.util.Locale.ROOT).contains("application/vnd.npm.install-v1+json")) {
                assertThat(r).isEqualTo(PackumentRepresentation.FULL);
            }
        });
        forEachTry(2000, () -> inputs.text(inputs.nextInt(60), 0x10000),
                any -> assertThat(PackumentRepresentation.negotiate(any)).isNotNull());
    }

    /** Runs {@code check} on {@code tries} generated inputs; a failure says which input broke it. */
    static void forEachTry(int tries, java.util.function.Supplier<String> generator, Consumer<String> check) {
        for (int i = 0; i < tries; i++) {
            String input = generator.get();
            try {
                check.accept(input);
            } catch (AssertionError | RuntimeException e) {
                fail("try " + i + " failed for input " + visible(input) + ": " + e, e);
            }
        }
    }

    /** The input with control and non-ASCII characters escaped, so a failure report shows what was sent. */
    static String visible(String input) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : input.toCharArray()) {
            if (c < 0x20 || c >= 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private record Outcome(RegistryRequest request, String error) {
    }

    private static Outcome parse(RequestPathParser parser, String path) {
        try {
            return new Outcome(parser.parse(path), null);
        } catch (InvalidRequestException e) {
            return new Outcome(null, e.getMessage());
        }
    }

    private static void checkParse(RequestPathParser parser, String path) {
        Outcome o = parse(parser, path);
        if (o.error() != null) {
            assertThat(o.error()).isNotBlank().hasSizeLessThan(600);
            for (char c : o.error().toCharArray()) {
                assertThat(c < 0x20 || c == 0x7f).as("control character in %s", o.error()).isFalse();
            }
            return;
        }
        RegistryRequest r = o.request();
        if (r == null) {
            return; // outside the registry's prefix: the server answers 404
        }
        PackageName name = nameOf(r);
        if (name != null) {
            assertSafeName(name);
            // The canonical spelling is what cache keys and upstream URLs use: it must mean the same package.
            assertThat(ROOT.parse("/" + name.escaped())).isEqualTo(new RegistryRequest.Packument(name));
        }
        if (r instanceof RegistryRequest.Tarball t) {
            assertSafeFile(t.fileName());
            assertThat(t.storeKey()).startsWith(name + "/-/").doesNotContain("/../", "/./", "\\");
        } else if (r instanceof RegistryRequest.TarballRevision t) {
            assertSafeFile(t.fileName());
            assertSafeToken(t.revision());
        } else if (r instanceof RegistryRequest.Version v) {
            assertSafeToken(v.selector());
        } else if (r instanceof RegistryRequest.DistTag d) {
            assertSafeToken(d.tag());
        } else if (r instanceof RegistryRequest.Revision v) {
            assertSafeToken(v.revision());
        } else if (r instanceof RegistryRequest.UnknownMeta m) {
            for (char c : m.path().toCharArray()) {
                assertThat(c < 0x20 || c == 0x7f).as("control character in %s", m.path()).isFalse();
            }
        }
    }

    private static PackageName nameOf(RegistryRequest r) {
        if (r instanceof RegistryRequest.Packument p) {
            return p.name();
        }
        if (r instanceof RegistryRequest.Version v) {
            return v.name();
        }
        if (r instanceof RegistryRequest.Tarball t) {
            return t.name();
        }
        if (r instanceof RegistryRequest.DistTags d) {
            return d.name();
        }
        if (r instanceof RegistryRequest.DistTag d) {
            return d.name();
        }
        if (r instanceof RegistryRequest.Revision v) {
            return v.name();
        }
        if (r instanceof RegistryRequest.TarballRevision t) {
            return t.name();
        }
        return null;
    }

    private static void assertSafeName(PackageName name) {
        for (String part : name.scope() == null ? List.of(name.name()) : List.of(name.scope(), name.name())) {
            assertThat(part).isNotEmpty().doesNotStartWith(".").doesNotStartWith("_");
            assertThat(part.chars().allMatch(c -> PackageName.isNameChar((char) c))).as(part).isTrue();
        }
        assertThat(name.toString().length()).isLessThanOrEqualTo(PackageName.MAX_LENGTH);
    }

    private static void assertSafeFile(String file) {
        assertThat(file).endsWith(".tgz").doesNotContain("\\");
        for (String part : file.split("/", -1)) {
            assertThat(part).isNotEmpty().isNotEqualTo(".").isNotEqualTo("..");
            assertThat(part.chars().allMatch(c -> PackageName.isNameChar((char) c) || c == '+' || c == '@'))
                    .as(file).isTrue();
        }
    }

    private static void assertSafeToken(String token) {
        assertThat(token).isNotEmpty().isNotEqualTo(".").isNotEqualTo("..");
        assertThat(token.chars().allMatch(c -> PackageName.isNameChar((char) c) || c == '+' || c == '-'))
                .as(token).isTrue();
    }
}
