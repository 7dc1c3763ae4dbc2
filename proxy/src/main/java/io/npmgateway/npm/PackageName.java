package io.npmgateway.npm;

import java.util.Objects;

/**
 * An npm package name, scoped ({@code @scope/name}) or not, validated as npm validates names of packages
 * that already exist (legacy mixed case is allowed, anything unsafe in a URL or a path is not).
 *
 * <p>Sits at the very start of the request path: the router turns every spelling clients send
 * ({@code @scope%2fname}, {@code @scope%2Fname}, {@code @scope/name}) into one of these, and every cache key,
 * upstream URL and rewritten tarball URL is derived from it, never from the raw request.
 */
public record PackageName(String scope, String name) {

    /** npm's limit on the length of a whole name, scope included. */
    public static final int MAX_LENGTH = 214;

    public PackageName {
        Objects.requireNonNull(name, "name");
        requireValidPart(name, "package name");
        if (scope != null) {
            requireValidPart(scope, "scope");
        }
        int length = name.length() + (scope == null ? 0 : scope.length() + 2);
        if (length > MAX_LENGTH) {
            throw new InvalidRequestException("package name is longer than " + MAX_LENGTH + " characters");
        }
    }

    /** Parses {@code name} or {@code @scope/name}, already percent-decoded. */
    public static PackageName parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidRequestException("package name is empty");
        }
        if (text.charAt(0) == '@') {
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new InvalidRequestException("scoped package name '" + printable(text) + "' has no '/name' part");
            }
            return new PackageName(text.substring(1, slash), text.substring(slash + 1));
        }
        return new PackageName(null, text);
    }

    public boolean isScoped() {
        return scope != null;
    }

    /** The name without its scope: the stem of the conventional tarball file name. */
    public String unscopedName() {
        return name;
    }

    /** The spelling npm uses in a registry path: {@code @scope%2fname}. */
    public String escaped() {
        return scope == null ? name : "@" + scope + "%2f" + name;
    }

    /** The conventional tarball file name for a version: {@code name-1.2.3.tgz}. */
    public String tarballFileName(String version) {
        return name + "-" + version + ".tgz";
    }

    @Override
    public String toString() {
        return scope == null ? name : "@" + scope + "/" + name;
    }

    private static void requireValidPart(String part, String what) {
        if (part.isEmpty()) {
            throw new InvalidRequestException(what + " is empty");
        }
        char first = part.charAt(0);
        if (first == '.' || first == '_') {
            throw new InvalidRequestException(what + " '" + printable(part) + "' must not start with '" + first + "'");
        }
        for (int i = 0; i < part.length(); i++) {
            if (!isNameChar(part.charAt(i))) {
                throw new InvalidRequestException(
                        what + " '" + printable(part) + "' contains a character npm does not allow in names");
            }
        }
        if (part.equals("node_modules") || part.equals("favicon.ico")) {
            throw new InvalidRequestException(what + " '" + part + "' is reserved");
        }
    }

    /** The characters {@code encodeURIComponent} leaves alone: npm's rule for names of existing packages. */
    static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == '\'' || c == '(' || c == ')'
                || c == '*';
    }

    /** Renders untrusted text safely inside an error message: control characters escaped, length capped. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 80));
        for (int i = 0; i < text.length() && out.length() < 80; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (text.length() > 80) {
            out.append("...");
        }
        return out.toString();
    }
}
