package io.npmgateway.npm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a request path into a {@link RegistryRequest}: the first step of the request path after the HTTP codec.
 *
 * <p>Every spelling clients use for a scoped name is accepted as the same name ({@code @scope%2fname} from npm
 * and Yarn, {@code @scope%2Fname} from pnpm, {@code @scope/name} from lockfiles and tarball URLs). Each path
 * segment is percent-decoded exactly once and must then be valid UTF-8 without control characters, so double
 * encoding, {@code %2e%2e}, NUL bytes and CR/LF never reach a name, a cache key or an upstream URL.
 */
public final class RequestPathParser {
    /** Longest path accepted; real npm paths are far shorter. */
    public static final int MAX_PATH_LENGTH = 2048;
    private static final int MAX_SELECTOR_LENGTH = 256;

    private final String prefix;

    /**
     * @param basePath the path part of the gateway's public URL, such as {@code /} or {@code /npm/}; requests
     *                 outside it are not registry requests
     */
    public RequestPathParser(String basePath) {
        String p = basePath == null || basePath.isEmpty() ? "/" : basePath;
        if (!p.startsWith("/")) {
            p = "/" + p;
        }
        this.prefix = p.endsWith("/") ? p : p + "/";
    }

    /** The path prefix every registry request starts with, ending in a slash. */
    public String prefix() {
        return prefix;
    }

    /**
     * Parses the raw (still percent-encoded) path, without the query string.
     *
     * @return the request, or {@code null} when the path is outside the registry's prefix
     * @throws InvalidRequestException when the path is inside the prefix but malformed
     */
    public RegistryRequest parse(String rawPath) {
        if (rawPath.length() > MAX_PATH_LENGTH) {
            throw new InvalidRequestException("request path is longer than " + MAX_PATH_LENGTH + " characters");
        }
        String rest;
        if (rawPath.equals(prefix.substring(0, prefix.length() - 1))) {
            rest = "";
        } else if (rawPath.startsWith(prefix)) {
            rest = rawPath.substring(prefix.length());
        } else {
            return null;
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.isEmpty()) {
            return new RegistryRequest.Root();
        }
        String[] raw = rest.split("/", -1);
        List<String> segments = new ArrayList<>(raw.length);
        for (String segment : raw) {
            if (segment.isEmpty()) {
                throw new InvalidRequestException("request path has an empty segment");
            }
            segments.add(decode(segment));
        }
        if (segments.get(0).equals("-")) {
            return meta(segments, rawPath);
        }
        return packageRoute(segments);
    }

    private static RegistryRequest meta(List<String> s, String rawPath) {
        if (s.size() == 2 && s.get(1).equals("ping")) {
            return new RegistryRequest.Ping();
        }
        if (s.size() == 2 && s.get(1).equals("health")) {
            return new RegistryRequest.Health();
        }
        if (s.size() == 2 && s.get(1).equals("whoami")) {
            return new RegistryRequest.Whoami();
        }
        if (s.size() >= 4 && s.get(1).equals("package") && s.get(s.size() - 1).equals("dist-tags")) {
            NameAndRest n = name(s.subList(2, s.size() - 1));
            if (n.rest().isEmpty()) {
                return new RegistryRequest.DistTags(n.name());
            }
        }
        if (s.size() >= 5 && s.get(1).equals("package") && s.get(s.size() - 2).equals("dist-tags")) {
            NameAndRest n = name(s.subList(2, s.size() - 2));
            if (n.rest().isEmpty()) {
                return new RegistryRequest.DistTag(n.name(), selector(s.get(s.size() - 1)));
            }
        }
        if (s.equals(List.of("-", "npm", "v1", "security", "advisories", "bulk"))) {
            return new RegistryRequest.AuditBulk();
        }
        if (s.equals(List.of("-", "npm", "v1", "security", "audits"))
                || s.equals(List.of("-", "npm", "v1", "security", "audits", "quick"))) {
            return new RegistryRequest.AuditLegacy(String.join("/", s));
        }
        if (s.equals(List.of("-", "v1", "search"))) {
            return new RegistryRequest.Search();
        }
        RegistryRequest account = account(s);
        if (account != null) {
            return account;
        }
        return new RegistryRequest.UnknownMeta(PackageName.printable(rawPath));
    }

    private static final String COUCH_USER = "org.couchdb.user:";
    private static final java.util.Set<String> PACKAGE_ACCESS = java.util.Set.of("access", "collaborators",
            "visibility");

    /** Login, logout and the other account endpoints; null when the path is none of them. */
    private static RegistryRequest account(List<String> s) {
        if (s.size() == 3 && s.get(1).equals("user") && s.get(2).startsWith(COUCH_USER)) {
            return new RegistryRequest.UserDocument(userName(s.get(2).substring(COUCH_USER.length())));
        }
        if (s.size() == 4 && s.get(1).equals("user") && s.get(2).equals("token")) {
            return new RegistryRequest.Logout(io.npmgateway.config.Secret.of(s.get(3)));
        }
        if (s.equals(List.of("-", "v1", "login"))) {
            return new RegistryRequest.WebLogin();
        }
        if (s.size() >= 4 && s.get(1).equals("npm") && s.get(2).equals("v1")) {
            switch (s.get(3)) {
                case "tokens":
                    return account(RegistryRequest.AccountEndpoint.TOKENS, s);
                case "user":
                    return s.size() == 4 ? account(RegistryRequest.AccountEndpoint.PROFILE, s) : null;
                case "keys":
                    return s.size() == 4 ? account(RegistryRequest.AccountEndpoint.KEYS, s) : null;
                default:
                    return null;
            }
        }
        if (s.equals(List.of("-", "_view", "starredByUser"))) {
            return account(RegistryRequest.AccountEndpoint.STARS, s);
        }
        if (s.size() >= 4 && s.get(1).equals("package") && PACKAGE_ACCESS.contains(s.get(s.size() - 1))) {
            NameAndRest n = name(s.subList(2, s.size() - 1));
            if (n.rest().isEmpty()) {
                return new RegistryRequest.Account(RegistryRequest.AccountEndpoint.ACCESS,
                        "-/package/" + n.name().escaped() + "/" + s.get(s.size() - 1));
            }
        }
        if (s.size() >= 3 && s.size() <= 5 && (s.get(1).equals("team") || s.get(1).equals("org"))
                || s.size() == 4 && s.get(1).equals("user") && s.get(3).equals("package")) {
            return account(RegistryRequest.AccountEndpoint.ACCESS, s);
        }
        return null;
    }

    private static RegistryRequest account(RegistryRequest.AccountEndpoint endpoint, List<String> segments) {
        StringBuilder target = new StringBuilder();
        for (String segment : segments) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidRequestException("path must not contain '.' or '..' segments");
            }
            if (target.length() > 0) {
                target.append('/');
            }
            target.append(java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8)
                    .replace("+", "%20").replace("%40", "@"));
        }
        return new RegistryRequest.Account(endpoint, target.toString());
    }

    /** A user name as npm sends it in {@code org.couchdb.user:<name>}: 1-214 printable characters. */
    private static String userName(String text) {
        if (text.isEmpty() || text.length() > 214) {
            throw new InvalidRequestException("user name must be 1 to 214 characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c == 0x7f || c == '/' || c == ':') {
                throw new InvalidRequestException("user name '" + PackageName.printable(text)
                        + "' contains a character not allowed in user names");
            }
        }
        return text;
    }

    private static RegistryRequest packageRoute(List<String> s) {
        NameAndRest n = name(s);
        List<String> rest = n.rest();
        if (rest.isEmpty()) {
            return new RegistryRequest.Packument(n.name());
        }
        if (rest.size() == 1) {
            return new RegistryRequest.Version(n.name(), selector(rest.get(0)));
        }
        if (rest.size() == 2 && rest.get(0).equals("-rev")) {
            return new RegistryRequest.Revision(n.name(), revision(rest.get(1)));
        }
        if (rest.size() >= 4 && rest.get(0).equals("-") && rest.get(rest.size() - 2).equals("-rev")) {
            return new RegistryRequest.TarballRevision(n.name(), fileName(rest.subList(1, rest.size() - 2)),
                    revision(rest.get(rest.size() - 1)));
        }
        if (rest.get(0).equals("-")) {
            return new RegistryRequest.Tarball(n.name(), fileName(rest.subList(1, rest.size())));
        }
        throw new InvalidRequestException("path has too many segments after package name '" + n.name() + "'");
    }

    private record NameAndRest(PackageName name, List<String> rest) {
    }

    /** The name is one decoded segment ({@code @scope/name} arrived as {@code %2f}) or two ({@code @scope}, {@code name}). */
    private static NameAndRest name(List<String> s) {
        String first = s.get(0);
        if (first.startsWith("@") && first.indexOf('/') < 0) {
            if (s.size() < 2) {
                throw new InvalidRequestException("scoped package name '" + PackageName.printable(first)
                        + "' has no '/name' part");
            }
            return new NameAndRest(PackageName.parse(first + "/" + s.get(1)), s.subList(2, s.size()));
        }
        if (first.indexOf('/') != first.lastIndexOf('/')) {
            throw new InvalidRequestException("package name '" + PackageName.printable(first)
                    + "' has more than one '/'");
        }
        return new NameAndRest(PackageName.parse(first), s.subList(1, s.size()));
    }

    private static String selector(String text) {
        if (text.isEmpty() || text.length() > MAX_SELECTOR_LENGTH) {
            throw new InvalidRequestException("version or tag must be 1 to " + MAX_SELECTOR_LENGTH + " characters");
        }
        char first = text.charAt(0);
        if (!Character.isLetterOrDigit(first) || first > 0x7f) {
            throw new InvalidRequestException("version or tag '" + PackageName.printable(text)
                    + "' must start with a letter or digit");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(PackageName.isNameChar(c) || c == '+')) {
                throw new InvalidRequestException("version or tag '" + PackageName.printable(text)
                        + "' contains a character not allowed in versions or tags");
            }
        }
        return text;
    }

    /** A CouchDB-style document revision ({@code 3-abc123}), as registries hand out in {@code _rev}. */
    private static String revision(String text) {
        if (text.isEmpty() || text.length() > MAX_SELECTOR_LENGTH) {
            throw new InvalidRequestException("revision must be 1 to " + MAX_SELECTOR_LENGTH + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 0x80 || c == '-' || c == '_' || c == '.')) {
                throw new InvalidRequestException("revision '" + PackageName.printable(text)
                        + "' contains a character not allowed in revisions");
            }
        }
        return text;
    }

    private static String fileName(List<String> parts) {
        if (parts.isEmpty() || parts.size() > 2) {
            throw new InvalidRequestException("tarball path must end in /-/<file>.tgz");
        }
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            if (part.equals(".") || part.equals("..")) {
                throw new InvalidRequestException("tarball file name must not contain '.' or '..' segments");
            }
            for (int j = 0; j < part.length(); j++) {
                char c = part.charAt(j);
                boolean scopeAt = c == '@' && j == 0 && i == 0 && parts.size() == 2;
                if (!(PackageName.isNameChar(c) || c == '+' || scopeAt)) {
                    throw new InvalidRequestException("tarball file name '" + PackageName.printable(part)
                            + "' contains a character not allowed in file names");
                }
            }
            if (i > 0) {
                name.append('/');
            }
            name.append(part);
        }
        String file = name.toString();
        if (!file.endsWith(".tgz") || file.length() <= 4 || file.length() > 512) {
            throw new InvalidRequestException("tarball file name '" + PackageName.printable(file)
                    + "' must end in .tgz");
        }
        return file;
    }

    /** Percent-decodes one segment once; the result must be UTF-8 text without control characters. */
    static String decode(String segment) {
        if (segment.indexOf('%') < 0) {
            checkPlain(segment);
            return segment;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%') {
                if (i + 2 >= segment.length()) {
                    throw new InvalidRequestException("path has an incomplete percent-escape");
                }
                int hi = Character.digit(segment.charAt(i + 1), 16);
                int lo = Character.digit(segment.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new InvalidRequestException("path has an invalid percent-escape");
                }
                bytes.write((hi << 4) | lo);
                i += 2;
            } else if (c > 0x7f) {
                throw new InvalidRequestException("path has a character that is not percent-encoded");
            } else {
                bytes.write(c);
            }
        }
        String decoded;
        try {
            decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("path is not valid UTF-8 after percent-decoding");
        }
        checkPlain(decoded);
        return decoded;
    }

    private static void checkPlain(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidRequestException("path contains a control character");
            }
            if (c == '\\') {
                throw new InvalidRequestException("path contains a backslash");
            }
        }
    }
}
