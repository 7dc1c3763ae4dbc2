package io.npmgateway.npm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Tarball file names: the conventional one the gateway emits for a version, and the spellings an upstream used,
 * which the gateway still answers because old lockfiles carry them.
 */
final class TarballFileNames {

    private TarballFileNames() {
    }

    /**
     * {@code <unscoped>-<version>.tgz}, whatever the upstream called the file: the gateway maps file names back
     * to versions itself, so an upstream's odd naming (Artifactory's {@code @scope/name-1.0.0.tgz}, a CDN hash)
     * never reaches clients. The version is upstream-controlled text placed in a URL path, so anything outside
     * semver's characters is percent-encoded; valid semver passes unchanged.
     */
    static String conventional(PackageName name, String version) {
        return name.unscopedName() + "-" + encodeVersion(version) + ".tgz";
    }

    /** The same name with the version unencoded, as a router that percent-decodes paths would look it up. */
    static String conventionalDecoded(PackageName name, String version) {
        return name.unscopedName() + "-" + version + ".tgz";
    }

    /**
     * The version a file name of the conventional shape names ({@code <unscoped>-<version>.tgz}, the version as
     * written, not encoded), or null when the name has another shape. Whether that version exists is the caller's
     * question: this is how conventional names are looked up without keeping them.
     */
    static String versionIn(PackageName name, String fileName) {
        String unscoped = name.unscopedName();
        int start = unscoped.length() + 1;
        int end = fileName.length() - 4;
        if (end <= start || !fileName.startsWith(unscoped) || fileName.charAt(unscoped.length()) != '-'
                || !fileName.endsWith(".tgz")) {
            return null;
        }
        return fileName.substring(start, end);
    }

    /**
     * The file names an upstream URL may be requested under: the part after the last {@code /-/} (or the last
     * segment when there is none), its percent-decoded form, and the last segment of that when it still holds a
     * scope ({@code @scope/name-1.0.0.tgz} also answers as {@code name-1.0.0.tgz}).
     */
    static List<String> originals(String upstreamUrl) {
        String path = upstreamUrl;
        int cut = indexOfAny(path, '?', '#');
        if (cut >= 0) {
            path = path.substring(0, cut);
        }
        int marker = path.lastIndexOf("/-/");
        String file = marker >= 0 ? path.substring(marker + 3) : path.substring(path.lastIndexOf('/') + 1);
        List<String> names = new ArrayList<>(3);
        addIfUseful(names, file);
        String decoded = percentDecode(file);
        if (decoded != null) {
            addIfUseful(names, decoded);
            addIfUseful(names, decoded.substring(decoded.lastIndexOf('/') + 1));
        }
        addIfUseful(names, file.substring(file.lastIndexOf('/') + 1));
        return names;
    }

    private static void addIfUseful(List<String> names, String name) {
        if (!name.isEmpty() && !names.contains(name)) {
            names.add(name);
        }
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == a || c == b) {
                return i;
            }
        }
        return -1;
    }

    static String encodeVersion(String version) {
        for (int i = 0; i < version.length(); i++) {
            if (!isVersionChar(version.charAt(i))) {
                return percentEncode(version);
            }
        }
        return version;
    }

    /** Semver's characters (build metadata included), all safe in a path segment. */
    private static boolean isVersionChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '+' || c == '_' || c == '~';
    }

    private static String percentEncode(String text) {
        StringBuilder out = new StringBuilder(text.length() * 3);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && isVersionChar(c)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** RFC 3986 decoding ('+' stays '+'); null when the text is not valid percent-encoded UTF-8. */
    static String percentDecode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length()) {
                    return null;
                }
                int hi = Character.digit(text.charAt(i + 1), 16);
                int lo = Character.digit(text.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                int codePoint = text.codePointAt(i);
                byte[] encoded = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                i += Character.charCount(codePoint) - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
