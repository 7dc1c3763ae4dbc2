package io.npmgateway.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which package names a route covers. The forms:
 *
 * <ul>
 *   <li>{@code *}: every package, scoped or not;</li>
 *   <li>{@code lodash}, {@code @corp/tool}: exactly that name;</li>
 *   <li>{@code @corp/*}: every package in the scope {@code @corp};</li>
 *   <li>{@code *} inside a scope or name is a wildcard for any run of characters other than {@code /}:
 *       {@code @corp-*}{@code /*} covers {@code @corp-ui/button} and {@code @corp-data/db}; {@code @*}{@code /*}
 *       every scoped package; {@code corp-*} unscoped names starting with {@code corp-}.</li>
 * </ul>
 *
 * A pattern without a scope (other than the bare {@code *}) never covers a scoped name, and a scope pattern never
 * covers an unscoped name. Matching is case-sensitive, as package names are.
 */
public final class PackagePattern {
    /** Characters of a name segment (npm's URL-safe set, with upper case for old packages) plus the wildcard. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._~*-]+");

    private final String text;
    private final boolean everything;
    private final String scope;
    private final String name;

    private PackagePattern(String text, boolean everything, String scope, String name) {
        this.text = text;
        this.everything = everything;
        this.scope = scope;
        this.name = name;
    }

    /**
     * Parses a pattern.
     *
     * @throws IllegalArgumentException with a message saying what is expected
     */
    public static PackagePattern parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.equals("*")) {
            return new PackagePattern(text, true, null, null);
        }
        if (text.startsWith("@")) {
            int slash = text.indexOf('/');
            if (slash > 1 && slash < text.length() - 1) {
                String scope = text.substring(1, slash);
                String name = text.substring(slash + 1);
                if (SEGMENT.matcher(scope).matches() && SEGMENT.matcher(name).matches()) {
                    return new PackagePattern(text, false, scope, name);
                }
            }
        } else if (SEGMENT.matcher(text).matches() && !text.startsWith(".") && !text.startsWith("_")) {
            return new PackagePattern(text, false, null, text);
        }
        throw new IllegalArgumentException("'" + text + "' is not a package pattern; expected '*', a name "
                + "('lodash', '@corp/tool'), a scope ('@corp/*') or a wildcard ('@corp-*/*', 'corp-*')");
    }

    /** Whether {@code packageName} (decoded: {@code @corp/tool}, not {@code @corp%2ftool}) is covered. */
    public boolean matches(String packageName) {
        if (everything) {
            return true;
        }
        if (packageName.startsWith("@")) {
            int slash = packageName.indexOf('/');
            if (scope == null || slash < 0 || packageName.indexOf('/', slash + 1) >= 0) {
                return false;
            }
            return glob(scope, packageName, 1, slash) && glob(name, packageName, slash + 1, packageName.length());
        }
        return scope == null && packageName.indexOf('/') < 0
                && glob(name, packageName, 0, packageName.length());
    }

    /** Whether this is the bare {@code *}, which covers every name (routes after it are unreachable). */
    public boolean matchesEverything() {
        return everything;
    }

    /** Glob match of {@code pattern} against {@code s[from, to)}; {@code *} is any run of characters. */
    private static boolean glob(String pattern, String s, int from, int to) {
        int p = 0;
        int i = from;
        int starP = -1;
        int starI = -1;
        while (i < to) {
            if (p < pattern.length() && pattern.charAt(p) != '*' && pattern.charAt(p) == s.charAt(i)) {
                p++;
                i++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                starP = p++;
                starI = i;
            } else if (starP >= 0) {
                p = starP + 1;
                i = ++starI;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackagePattern other && text.equals(other.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
