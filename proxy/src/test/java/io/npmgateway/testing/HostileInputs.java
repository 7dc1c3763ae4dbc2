package io.npmgateway.testing;

import java.util.List;
import java.util.Random;

/**
 * Generates hostile request parts for the property tests: paths assembled from the pieces attackers use (dot
 * segments and slashes in every encoding, double encoding, NUL, CR/LF and other control bytes, overlong and invalid
 * UTF-8, huge segments) mixed with the shapes real clients send, so most tries land near the parser's decisions;
 * {@code Accept} and {@code Range} values of every malformed shape; and plain random text.
 *
 * <p>Seeded: a failing try is reproduced by its seed and index, which the tests print with the input. There is no
 * shrinking, so the pieces are kept short and the failing input is readable as it is.
 */
public final class HostileInputs {
    /** Pieces that decode into something dangerous, or that real clients put in paths. */
    public static final List<String> PATH_PIECES = List.of(
            "..", ".", "%2e%2e", "%2E%2e", "%2e", ".%2e", "%2f", "%2F", "%5c", "%5C", "\\", "%252e%252e", "%252f",
            "%25", "%", "%z", "%2", "%00", "\u0000", "%0d%0a", "%0a", "%0D", "\r\n", "\n", "\r", "\t", "%09", "%7f",
            "%c3%28", "%ff", "%fe%ff", "%c0%ae", "%c0%af", "%e0%80%ae", "%ed%a0%80", "%e2%80%ae", "%ef%bb%bf",
            "%f4%90%80%80", "caf\u00e9", "\ud83d\ude00", "%f0%9f%98%80", " ", "%20", "+", "?", "#", ";", "&", "=",
            "@", "%40", "@scope", "@corp%2fwidget", "@corp%2Fwidget", "-", "-rev", "3-abc", "dist-tags", "package",
            "lodash", "left-pad", "JSONStream", "node_modules", "favicon.ico", "_private", ".hidden", "1.0.0",
            "latest", "1.0.0-beta.1+build.5", "left-pad-1.0.0.tgz", "widget-1.0.0.tgz", ".tgz", "~", "*", "'", "(",
            ")", "!", "a".repeat(213), "b".repeat(300), "%41".repeat(100), "//", "v1", "search", "npm", "security",
            "advisories", "bulk", "ping", "whoami", "health", "ready", "metrics", "admin");

    private static final List<String> ACCEPT_PIECES = List.of(
            "application/vnd.npm.install-v1+json", "application/json", "*/*", "application/*", "text/html", "*", "/",
            "a/b/c", "", " ", "\t", "application/vnd.npm.install-v1+json; q=1.0", "application/json;q=0",
            "application/json; q=0.5", ";q=1", "q=", "; q=2", "; q=-1", "; q=1.0001", "; q=NaN", "; q=1e3",
            "; q=0x1", "; q=.5", "; q=", ";;;", "=", "\u00e9", "application/json;" + "x=y;".repeat(200),
            "application/vnd.npm.install-v1+json;q=0." + "0".repeat(3000) + "1");

    private static final List<String> RANGE_VALUES = List.of(
            "bytes=0-0", "bytes=0-", "bytes=-1", "bytes=999999999999-", "bytes=999999999999999999999999-",
            "bytes=-999999999999999999999", "bytes=5-1", "bytes=0-1,2-3,4-5", "bytes=0-1, 0-1, 0-1",
            "bytes=" + "0-1,".repeat(2000) + "0-1", "bytes=a-b", "bytes=--1", "bytes=", "bytes", "items=0-5",
            "bytes=1-2;3-4", "bytes=0-18446744073709551616", "bytes= 0 - 1 ", "bytes=\u00e9-", "=", ",,,,");

    private final Random random;

    public HostileInputs(long seed) {
        this.random = new Random(seed);
    }

    /** A path of one to seven segments, each one to four pieces. */
    public String path() {
        int segments = 1 + random.nextInt(7);
        StringBuilder path = new StringBuilder();
        for (int s = 0; s < segments; s++) {
            path.append('/');
            int pieces = 1 + random.nextInt(4);
            for (int p = 0; p < pieces; p++) {
                path.append(piece());
            }
        }
        return path.toString();
    }

    private String piece() {
        switch (random.nextInt(6)) {
            case 0:
                return text(1 + random.nextInt(12), 0x10000);
            case 1:
                return text(1 + random.nextInt(6), 0x100);
            default:
                return PATH_PIECES.get(random.nextInt(PATH_PIECES.size()));
        }
    }

    /** Random text of {@code length} characters below {@code bound} (any BMP character, lone surrogates too). */
    public String text(int length, int bound) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) random.nextInt(bound));
        }
        return out.toString();
    }

    /** An {@code Accept} value: zero to twelve elements, known media ranges and garbage, with any separator. */
    public String accept() {
        if (random.nextInt(100) == 0) {
            return "application/json,".repeat(5000);
        }
        int elements = random.nextInt(13);
        String separator = List.of(",", ", ", ";", " , ").get(random.nextInt(4));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < elements; i++) {
            if (i > 0) {
                out.append(separator);
            }
            out.append(random.nextInt(4) == 0 ? text(random.nextInt(20), 0x80)
                    : ACCEPT_PIECES.get(random.nextInt(ACCEPT_PIECES.size())));
        }
        return out.toString();
    }

    /** A {@code Range} value: malformed, huge, multiple ranges, or random text. */
    public String range() {
        return random.nextInt(4) == 0 ? text(random.nextInt(30), 0x80)
                : RANGE_VALUES.get(random.nextInt(RANGE_VALUES.size()));
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
