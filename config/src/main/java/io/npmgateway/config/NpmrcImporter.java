package io.npmgateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an npm configuration file into upstreams and routes, reading it the way npm does, so the {@code .npmrc}
 * that {@code aws codeartifact login --tool npm} writes or the one Azure Artifacts' "Connect to feed" page gives
 * works unchanged.
 *
 * <h2>Reading</h2>
 * The file is npm's ini dialect: {@code key=value} lines (spaces around both are trimmed), lines starting with
 * {@code ;} or {@code #} are comments, an unquoted value ends at an unescaped {@code ;} or {@code #}, a value in
 * {@code "..."} is a JSON string and one in {@code '...'} is taken literally, a key without {@code =} is
 * {@code true}, and the last of repeated keys wins. Keys and values then get npm's environment expansion:
 * {@code ${VAR}} is the variable's value, {@code ${VAR?}} is its value or empty, {@code \${VAR}} stays literal.
 * Unlike npm 7+, which would send the literal text {@code ${VAR}} as a token, an unset variable without
 * {@code ?} is an error that names it.
 *
 * <h2>Several files</h2>
 * {@link #importFiles(List)} layers files the way npm layers its user configuration under the project's: a key set
 * in a later file replaces the same key from an earlier one, and everything else is kept. Azure Artifacts' "Connect
 * to feed" page gives exactly such a pair (the project {@code .npmrc} with {@code registry=} and the user
 * {@code .npmrc} with the feed's {@code :username}/{@code :_password}), so the gateway is given the user file first
 * and the project file after it. Error messages name the file and line each setting came from.
 *
 * <h2>Mapping</h2>
 * <ul>
 *   <li>{@code registry=URL} becomes the upstream {@code npm} and the last route, {@code *}. Without that line the
 *       registry npm itself uses (asked from npm when the gateway starts) takes its place.</li>
 *   <li>{@code @scope:registry=URL} routes {@code @scope/*} to the upstream with that URL, before {@code *}. Each
 *       distinct URL is one upstream, named after the first scope that uses it ({@code @corp} gives {@code corp});
 *       a scope pointing at the default registry uses {@code npm}.</li>
 *   <li>Credentials follow npm's "nerf dart" rule: for a registry URL {@code https://host:port/path/}, the longest
 *       of {@code //host:port/path/}, {@code //host:port/path}, ..., {@code //host:port/} (default port omitted,
 *       as npm writes it) that has {@code :_authToken} (bearer), {@code :_auth} (sent verbatim) or
 *       {@code :username} with {@code :_password} (basic; {@code _password} is base64 and is decoded, as npm
 *       does) gives the upstream's credentials, in that order of preference.</li>
 *   <li>{@code //prefix/:always-auth} (longest matching prefix) or the top-level {@code always-auth} set
 *       {@link UpstreamConfig#alwaysAuth()}; without either it is {@code true}, as npm 7+ behaves.</li>
 *   <li>Top-level {@code _authToken}, {@code _auth}, {@code username}, {@code _password} are an error, as in npm 9+
 *       (they must be written for a registry, {@code //host/path/:_authToken}). {@code email}, {@code :email} and
 *       settings the gateway has no use for are ignored and listed in {@link Result#notes()}.</li>
 * </ul>
 */
public final class NpmrcImporter {
    /** The id of the upstream made from {@code registry=}. */
    public static final String DEFAULT_UPSTREAM_ID = "npm";

    private static final Pattern ENV = Pattern.compile("(?<!\\\\)(\\\\*)\\$\\{([^${}?]+)(\\?)?}");
    private static final Pattern SCOPE_REGISTRY = Pattern.compile("(@[A-Za-z0-9._~-]+):registry");
    private static final Set<String> TOP_LEVEL_CREDENTIALS = Set.of("_authToken", "_auth", "username", "_password");
    private static final List<String> NERF_SETTINGS = List.of(":_authToken", ":_auth", ":username", ":_password",
            ":always-auth", ":email", ":certfile", ":keyfile");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> env;
    private final Supplier<Optional<String>> npmDefaultRegistry;

    /** An importer that expands variables from {@code env} and requires a {@code registry=} line. */
    public NpmrcImporter(Map<String, String> env) {
        this(env, Optional::empty);
    }

    /**
     * @param env                variables for {@code ${VAR}}
     * @param npmDefaultRegistry the registry npm uses when a file has no {@code registry=} line (asked only then)
     */
    public NpmrcImporter(Map<String, String> env, Supplier<Optional<String>> npmDefaultRegistry) {
        this.env = Map.copyOf(env);
        this.npmDefaultRegistry = npmDefaultRegistry;
    }

    /**
     * What a file defines.
     *
     * @param upstreams the default registry's upstream first, then one per distinct scoped registry
     * @param routes    one {@code @scope/*} route per scope in file order, then {@code *}; all policy
     *                  {@code first}, anonymous {@code read} (the loader applies the configured default)
     * @param notes     settings that were ignored, by key (never with their values)
     */
    public record Result(List<UpstreamConfig> upstreams, List<RouteConfig> routes, List<String> notes) {
        public Result {
            upstreams = List.copyOf(upstreams);
            routes = List.copyOf(routes);
            notes = List.copyOf(notes);
        }
    }

    public Result importFile(Path file) {
        return importFiles(List.of(file));
    }

    /**
     * Imports several files as one configuration, later files overriding earlier ones key by key (list the user
     * {@code .npmrc} before the project's, as npm lets the project override the user).
     */
    public Result importFiles(List<Path> files) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no file to import");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Path file : files) {
            for (Entry e : parse(read(file), file.toString()).values()) {
                entries.remove(e.key()); // the later file wins and its setting takes the later place
                entries.put(e.key(), e);
            }
        }
        String source = files.stream().map(Path::toString).collect(java.util.stream.Collectors.joining(" + "));
        return new Mapping(source, entries).result();
    }

    private static String read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot be read: " + e.getMessage());
        }
        return text;
    }

    /** Imports {@code text}; {@code source} names it in error messages. */
    public Result importText(String text, String source) {
        Map<String, Entry> entries = parse(text, source);
        return new Mapping(source, entries).result();
    }

    /** One setting after ini decoding and environment expansion, with the file and line it came from. */
    private record Entry(String key, String value, String source, int line) {
    }

    // ---------------------------------------------------------------------------------------------------------
    // ini decoding (npm's "ini" package) and ${VAR} expansion (@npmcli/config)

    private Map<String, Entry> parse(String text, String source) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        String section = null;
        String[] lines = text.split("\r\n|\r|\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].strip();
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1).strip();
            }
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1).strip();
                continue;
            }
            int eq = line.indexOf('=');
            String rawKey = eq < 0 ? line : line.substring(0, eq);
            String key = unquote(rawKey);
            String value = eq < 0 ? "true" : unquote(line.substring(eq + 1));
            if (key.isEmpty()) {
                continue;
            }
            if (section != null) {
                entries.put("[" + section + "]" + key, new Entry("[" + section + "]" + key, null, source, lineNo));
                continue;
            }
            String at = source + ":" + lineNo;
            key = expand(key, at, "key");
            value = expand(value, at, key);
            entries.remove(key); // the last occurrence wins and keeps its place
            entries.put(key, new Entry(key, value, source, lineNo));
        }
        return entries;
    }

    /** npm's ini {@code unsafe()}: trims, unquotes, or cuts an unquoted value at an unescaped ; or #. */
    private static String unquote(String raw) {
        String val = raw.strip();
        boolean quoted = val.length() >= 2 && ((val.startsWith("\"") && val.endsWith("\""))
                || (val.startsWith("'") && val.endsWith("'")));
        if (quoted) {
            if (val.charAt(0) == '\'') {
                val = val.substring(1, val.length() - 1);
            }
            try {
                JsonNode node = JSON.readTree(val);
                if (node != null && node.isValueNode() && !node.isNull()) {
                    return node.asText();
                }
            } catch (IOException e) {
                // kept as written, as JSON.parse failing leaves it in npm
            }
            return val;
        }
        StringBuilder out = new StringBuilder();
        boolean esc = false;
        for (int i = 0; i < val.length(); i++) {
            char c = val.charAt(i);
            if (esc) {
                if (c == '\\' || c == ';' || c == '#') {
                    out.append(c);
                } else {
                    out.append('\\').append(c);
                }
                esc = false;
            } else if (c == ';' || c == '#') {
                break;
            } else if (c == '\\') {
                esc = true;
            } else {
                out.append(c);
            }
        }
        if (esc) {
            out.append('\\');
        }
        return out.toString().strip();
    }

    /** npm's environment expansion; an unset variable without {@code ?} is an error naming it. */
    private String expand(String text, String at, String field) {
        Matcher m = ENV.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String escapes = m.group(1);
            String replacement;
            if (escapes.length() % 2 == 1) {
                replacement = m.group().substring((escapes.length() + 1) / 2);
            } else {
                String value = env.get(m.group(2));
                if (value == null) {
                    if (m.group(3) == null) {
                        throw ConfigException.field(at, field, "environment variable " + m.group(2)
                                + " is not set (write ${" + m.group(2) + "?} to allow it to be empty)");
                    }
                    value = "";
                }
                replacement = escapes.substring(escapes.length() / 2) + value;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // mapping settings onto upstreams and routes

    private final class Mapping {
        private final String source;
        private final Map<String, Entry> entries;
        private final List<String> notes = new ArrayList<>();

        Mapping(String source, Map<String, Entry> entries) {
            this.source = source;
            this.entries = entries;
        }

        Result result() {
            Map<String, String> scopes = new LinkedHashMap<>(); // @scope -> registry URL
            String registry = null;
            for (Entry e : entries.values()) {
                String key = e.key();
                if (key.startsWith("[")) {
                    notes.add(at(e) + ": " + key + ": settings in [sections] are not used by npm; ignored");
                } else if (key.equals("registry")) {
                    registry = url(e);
                } else if (SCOPE_REGISTRY.matcher(key).matches()) {
                    scopes.put(key.substring(0, key.indexOf(':')), url(e));
                } else if (TOP_LEVEL_CREDENTIALS.contains(key)) {
                    throw ConfigException.field(at(e), key, "credentials must be written for a registry, as "
                            + "//host/path/:" + key + "=...; npm 9 and later reject a top-level " + key);
                } else if (key.equals("always-auth")) {
                    ConfigValues.bool(e.value(), at(e), key);
                } else if (key.equals("email") || key.startsWith("//") && nerfSetting(key) != null) {
                    // credentials and related settings: used (or deliberately ignored) below
                } else {
                    notes.add(at(e) + ": " + key + ": not used by the gateway; ignored");
                }
            }
            if (registry == null) {
                Optional<String> fromNpm = npmDefaultRegistry.get();
                if (fromNpm.isEmpty()) {
                    throw ConfigException.field(source, "registry", "the file has no registry= line and the "
                            + "registry npm uses by default could not be found (is npm on the PATH?); "
                            + "add registry=URL");
                }
                registry = ConfigLoader.registryUrl(fromNpm.get(), "npm config get registry", "registry");
            }

            List<UpstreamConfig> upstreams = new ArrayList<>();
            Map<String, String> idByUrl = new LinkedHashMap<>();
            upstreams.add(upstream(DEFAULT_UPSTREAM_ID, registry));
            idByUrl.put(normalize(registry), DEFAULT_UPSTREAM_ID);
            List<RouteConfig> routes = new ArrayList<>();
            for (Map.Entry<String, String> scope : scopes.entrySet()) {
                String id = idByUrl.get(normalize(scope.getValue()));
                if (id == null) {
                    id = uniqueId(scope.getKey().substring(1), idByUrl.values());
                    idByUrl.put(normalize(scope.getValue()), id);
                    upstreams.add(upstream(id, scope.getValue()));
                }
                routes.add(new RouteConfig(scope.getKey() + "/*", List.of(id)));
            }
            routes.add(new RouteConfig("*", List.of(DEFAULT_UPSTREAM_ID)));

            for (Entry e : entries.values()) {
                String setting = e.key().startsWith("//") ? nerfSetting(e.key()) : null;
                if (setting == null || setting.equals(":always-auth") || setting.equals(":email")) {
                    continue;
                }
                String prefix = e.key().substring(0, e.key().length() - setting.length());
                boolean related = upstreams.stream().map(u -> nerfDart(u.url())).anyMatch(d -> d.startsWith(prefix));
                if (!related && !e.value().isEmpty()) {
                    notes.add(at(e) + ": " + e.key() + ": no registry in the file uses these credentials; ignored");
                }
            }
            return new Result(upstreams, routes, notes);
        }

        private UpstreamConfig upstream(String id, String url) {
            String regKey = nerfDart(url);
            UpstreamAuth auth = UpstreamAuth.NONE;
            for (String key = regKey; key.length() > 2; key = parentKey(key)) {
                Optional<UpstreamAuth> found = authAt(key);
                if (found.isPresent()) {
                    auth = found.get();
                    break;
                }
            }
            boolean alwaysAuth = UpstreamConfig.DEFAULT_ALWAYS_AUTH;
            Entry top = entries.get("always-auth");
            if (top != null) {
                alwaysAuth = ConfigValues.bool(top.value(), at(top), "always-auth");
            }
            for (String key = regKey; key.length() > 2; key = parentKey(key)) {
                Entry e = entries.get(key + ":always-auth");
                if (e != null) {
                    alwaysAuth = ConfigValues.bool(e.value(), at(e), e.key());
                    break;
                }
            }
            return new UpstreamConfig(id, url, auth, alwaysAuth, List.of(), null, null);
        }

        /** npm's {@code hasAuth} and {@code Auth} for one key: token, then _auth, then username + _password. */
        private Optional<UpstreamAuth> authAt(String key) {
            Entry token = present(key + ":_authToken");
            if (token != null) {
                requireHeaderSafe(token);
                return Optional.of(new UpstreamAuth.Bearer(Secret.of(token.value())));
            }
            Entry auth = present(key + ":_auth");
            if (auth != null) {
                requireHeaderSafe(auth);
                return Optional.of(new UpstreamAuth.LegacyAuth(Secret.of(auth.value())));
            }
            Entry username = present(key + ":username");
            Entry password = present(key + ":_password");
            if (username != null && password != null) {
                if (username.value().indexOf(':') >= 0) {
                    throw ConfigException.field(at(username), username.key(), "a user name cannot contain ':'");
                }
                requireHeaderSafe(username);
                String decoded = decodePassword(password);
                return Optional.of(new UpstreamAuth.Basic(username.value(), Secret.of(decoded)));
            }
            if (present(key + ":certfile") != null && present(key + ":keyfile") != null) {
                throw ConfigException.field(source, key + ":certfile", "client certificates are not supported "
                        + "for upstreams; use a token or a user name and password");
            }
            return Optional.empty();
        }

        /** The entry, if set to a non-empty value (npm treats an empty credential as absent). */
        private Entry present(String key) {
            Entry e = entries.get(key);
            return e == null || e.value().isEmpty() ? null : e;
        }

        /** {@code _password} is base64 in npm's configuration; decoded leniently, as Node's Buffer does. */
        private String decodePassword(Entry e) {
            String text = e.value().replaceAll("\\s", "").replace('-', '+').replace('_', '/');
            while (text.endsWith("=")) {
                text = text.substring(0, text.length() - 1);
            }
            String problem = "is not base64; npm reads _password as the base64 encoding of the password or "
                    + "personal access token (encode it with: printf '%s' \"$PAT\" | base64)";
            if (!text.matches("[A-Za-z0-9+/]*") || text.length() % 4 == 1 || text.isEmpty()) {
                throw ConfigException.field(at(e), e.key(), problem);
            }
            byte[] bytes = Base64.getDecoder().decode(text + "==".substring(0, (4 - text.length() % 4) % 4));
            try {
                String decoded = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
                if (decoded.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    throw ConfigException.field(at(e), e.key(), problem);
                }
                return decoded;
            } catch (CharacterCodingException ex) {
                throw ConfigException.field(at(e), e.key(), problem + " (it decodes to bytes that are not text: "
                        + "is the value the password itself rather than its base64?)");
            }
        }

        private void requireHeaderSafe(Entry e) {
            if (e.value().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw ConfigException.field(at(e), e.key(), "contains control characters");
            }
        }

        private String url(Entry e) {
            if (e.value().isEmpty()) {
                throw ConfigException.field(at(e), e.key(), "is empty; expected the registry URL");
            }
            return ConfigLoader.registryUrl(e.value(), at(e), e.key());
        }

        private String at(Entry e) {
            return e.source() + ":" + e.line();
        }
    }

    /** The nerf-dart setting a {@code //prefix:setting} key ends with, or {@code null}. */
    private static String nerfSetting(String key) {
        for (String s : NERF_SETTINGS) {
            if (key.endsWith(s)) {
                return s;
            }
        }
        return null;
    }

    /** npm's {@code //host[:port]/path} key for a URL: no scheme, lower-case host, default port dropped. */
    static String nerfDart(String url) {
        URI uri = URI.create(url);
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = port == -1 || (port == 443 && "https".equalsIgnoreCase(uri.getScheme()))
                || (port == 80 && "http".equalsIgnoreCase(uri.getScheme()));
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return "//" + host + (defaultPort ? "" : ":" + port) + path;
    }

    /** One step up npm's walk: drop either the last path segment or the trailing slash. */
    private static String parentKey(String key) {
        if (key.endsWith("/")) {
            return key.substring(0, key.length() - 1);
        }
        return key.substring(0, key.lastIndexOf('/') + 1);
    }

    /** A registry URL in the form used to tell registries apart: scheme and host lower case, default port dropped. */
    private static String normalize(String url) {
        URI uri = URI.create(url);
        return uri.getScheme().toLowerCase(Locale.ROOT) + ":" + nerfDart(url);
    }

    private static String uniqueId(String wanted, java.util.Collection<String> taken) {
        String base = wanted.replaceAll("[^A-Za-z0-9_.-]", "-");
        if (base.length() > 60) {
            base = base.substring(0, 60);
        }
        String id = base;
        for (int n = 2; taken.contains(id); n++) {
            id = base + "-" + n;
        }
        return id;
    }
}
