package io.npmgateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.npmgateway.config.ConfigOverrides.Setting;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Builds the {@link GatewayConfig}: the YAML file (or the defaults), then {@link ConfigOverrides} from the
 * environment and the command line (precedence <b>file &lt; environment &lt; flags</b>), then validation. Every
 * error is a {@link ConfigException} naming the source (file path, environment variable or flag), the field
 * and what is expected; the gateway does not start with an invalid configuration.
 *
 * <h2>YAML schema</h2>
 * Unknown keys are errors. Every scalar may use {@code ${VAR}} or {@code ${VAR:-default}}; an unset variable
 * without default is an error naming it. Durations are {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h},
 * {@code 1d} or ISO-8601; sizes are bytes or {@code 512KB}, {@code 64MB}, {@code 20GB} (powers of 1024).
 *
 * <pre>
 * server:
 *   bind: 0.0.0.0                         # default 127.0.0.1
 *   port: 4873                            # default 4873; 0 = any free port
 *   publicUrl: https://npm.example.internal/npm/   # default: the listening address
 *   idleTimeout: 60s
 *   maxHeaderSize: 16KB
 *   headerTimeout: 20s                   # longest a client may take to send a request's head; more gets 408
 *   maxPublishSize: 1GB                   # largest npm publish body (about 1.33 x the tarball), streamed; more: 413
 * dataDir: /var/lib/npm-gateway           # default ./data
 * upstreams:                              # in priority order
 *   - id: corp                            # [A-Za-z0-9_.-]{1,64}, unique; default upstream1, upstream2, ...
 *     url: https://registry.example.internal/npm/   # required; http(s), no credentials in it
 *     auth:                               # optional; one of:
 *       type: bearer                      #   {type: none}
 *       token: ${CORP_TOKEN}              #   {type: bearer, token}
 *                                         #   {type: basic, username, password}   (password/PAT as is, not base64)
 *                                         #   {type: legacy, auth}                (npm's _auth, sent verbatim)
 *                                         #   {type: codeartifact, domain, region, domainOwner?, durationSeconds?,
 *                                         #      endpointOverride?}
 *                                         #   {type: command, command: [prog, arg...], refresh: 15m}
 *     alwaysAuth: true                    # default true: metadata requests carry the credentials too
 *     credentialHosts: [files.example.internal]   # other hosts (host or host:port) that may get them
 *     connectTimeout: 5s
 *     readTimeout: 30s
 * routes:                                 # first match wins; default: "*" to every upstream, policy first
 *   - packages: "@corp/*"                 # or a list; "*", "@corp/*", "@corp-*&#47;*", "corp-*", exact names
 *     upstreams: [corp]                   # ids, in priority order
 *     policy: first                       # first (default) | merge
 *     anonymous: none                     # read | none; default read, or none when client tokens are configured
 *   - packages: "*"
 *     upstreams: [corp, public]
 *     policy: merge
 * clients:
 *   tokens:                               # tokens clients send as Bearer (their .npmrc _authToken)
 *     - name: ci
 *       token: ${CI_GATEWAY_TOKEN}        # at least 16 characters
 *   users:                                # accounts for npm login / npm adduser (legacy prompt)
 *     - name: alice                       # lower case, as npm wants user names
 *       passwordHash: "pbkdf2-sha256$600000$..."   # from: npm-gateway hash-password
 *   login:
 *     secret: ${NPM_GATEWAY_LOGIN_SECRET} # signs issued tokens; share it between replicas; default random
 *     tokenTtl: 30d                       # how long an issued token is accepted
 * writeTarget: corp                       # optional: the upstream that receives publish and other writes
 * auditUpstream: public                   # optional: the upstream that answers npm audit
 * cache:
 *   metadata: { maxAge: 5m, maxStale: 7d, maxMemory: 128MB, negativeTtl: 30s, maxDocument: 128MB,
 *               missingVersionRefreshInterval: 10s }
 * storage:
 *   maxBytes: 20GB                        # 0 = unbounded
 *   fileCache: 1GB                        # copies of hot tarballs sent with sendfile; 0 = none
 * </pre>
 *
 * <p>Token command arguments keep their {@code ${VAR}} references as written (they are checked to be set now and
 * expanded each time the command runs, see {@link UpstreamAuth.TokenCommand#argv(Map)}), so a configuration dump
 * never shows a secret passed to the command.
 *
 * <h2>Overrides</h2>
 * {@link ConfigOverrides.Setting} lists what the environment ({@code NPM_GATEWAY_CONFIG}, {@code NPM_GATEWAY_PORT},
 * {@code NPM_GATEWAY_BIND}, {@code NPM_GATEWAY_DATA_DIR}, {@code NPM_GATEWAY_PUBLIC_URL},
 * {@code NPM_GATEWAY_UPSTREAM} (comma-separated URLs), {@code NPM_GATEWAY_NPMRC}) and the matching flags override.
 * Upstreams and routes go together: {@code --upstream}/{@code NPM_GATEWAY_UPSTREAM} (a chain of anonymous
 * upstreams) and {@code --npmrc}/{@code NPM_GATEWAY_NPMRC} (see {@link NpmrcImporter}) replace both the file's
 * {@code upstreams} and its {@code routes}; {@code writeTarget} and {@code auditUpstream} must then still name
 * an upstream that exists.
 */
public final class ConfigLoader {
    private static final Set<String> TOP_LEVEL = Set.of("server", "dataDir", "upstreams", "routes", "clients",
            "admin", "metrics", "logging", "shutdown",
            "writeTarget", "auditUpstream", "cache", "storage");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern HOST = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?");
    private static final List<String> AUTH_TYPES = List.of("none", "bearer", "basic", "legacy", "codeartifact",
            "command");
    /** Client tokens shorter than this are refused: they guard the gateway and any write target behind it. */
    public static final int MIN_CLIENT_TOKEN_LENGTH = 16;
    /** The key that signs login tokens: as long as a SHA-256 output in hex characters, at the least. */
    public static final int MIN_LOGIN_SECRET_LENGTH = 32;
    /** User names npm accepts ({@code npm-user-validate}: lower case, URL-safe, no leading dot). */
    private static final Pattern USER_NAME = Pattern.compile("[a-z0-9_-][a-z0-9_.-]{0,63}");

    private final Map<String, String> env;
    private final Supplier<Optional<String>> npmDefaultRegistry;

    public ConfigLoader(Map<String, String> env) {
        this(env, Optional::empty);
    }

    /**
     * @param env                variables for {@code ${VAR}} in the file and in an imported {@code .npmrc}
     * @param npmDefaultRegistry the registry npm uses by default, for an {@code .npmrc} without {@code registry=}
     */
    public ConfigLoader(Map<String, String> env, Supplier<Optional<String>> npmDefaultRegistry) {
        this.env = Map.copyOf(env);
        this.npmDefaultRegistry = npmDefaultRegistry;
    }

    /** The configuration used when no file is given: loopback, port 4873, no upstream yet. */
    public static GatewayConfig defaults() {
        return new GatewayConfig(ServerConfig.defaults(), Path.of("data"), List.of(), CacheConfig.defaults(),
                StorageConfig.defaults());
    }

    /** Reads and validates one YAML file, without overrides. */
    public GatewayConfig load(Path file) {
        return readFile(file, null);
    }

    /**
     * The file named by {@link Setting#CONFIG_FILE} (or the defaults), with the other overrides applied, validated.
     * The result may have no upstream when none was configured anywhere; the caller decides what that means.
     */
    public GatewayConfig load(ConfigOverrides overrides) {
        Optional<ConfigOverrides.Value> file = overrides.get(Setting.CONFIG_FILE);
        GatewayConfig config = file.isPresent()
                ? readFile(Path.of(file.get().value()), file.get().source())
                : defaults();
        String fileSource = file.map(v -> v.value()).orElse("(defaults)");

        String upstreamSource = null;
        Optional<ConfigOverrides.Value> npmrc = overrides.get(Setting.NPMRC);
        if (npmrc.isPresent()) {
            List<Path> paths = npmrc.get().values().stream().map(Path::of).toList();
            for (Path path : paths) {
                if (!Files.exists(path)) {
                    throw new ConfigException(npmrc.get().source() + ": " + path + ": file not found");
                }
            }
            NpmrcImporter.Result imported = new NpmrcImporter(env, npmDefaultRegistry).importFiles(paths);
            RouteConfig.Access access = config.defaultAnonymousAccess();
            config = config.withUpstreams(imported.upstreams())
                    .withRoutes(imported.routes().stream().map(r -> r.withAnonymous(access)).toList());
            upstreamSource = npmrc.get().source() + " " + String.join(" + ", npmrc.get().values());
        }
        Optional<ConfigOverrides.Value> urls = overrides.get(Setting.UPSTREAMS);
        if (urls.isPresent()) {
            List<String> list = urls.get().values();
            List<UpstreamConfig> upstreams = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String url = registryUrl(list.get(i), urls.get().source(), "upstreams[" + i + "].url");
                upstreams.add(UpstreamConfig.of(list.size() == 1 ? "upstream" : "upstream" + (i + 1), url));
            }
            config = config.withUpstreams(upstreams).withRoutes(List.of());
            upstreamSource = urls.get().source();
        }
        if (upstreamSource != null) {
            checkReference(config, config.writeTarget(), fileSource, "writeTarget", upstreamSource);
            checkReference(config, config.auditUpstream(), fileSource, "auditUpstream", upstreamSource);
        }

        ServerConfig server = config.server();
        Optional<ConfigOverrides.Value> port = overrides.get(Setting.PORT);
        if (port.isPresent()) {
            server = server.withPort(port(port.get().value(), port.get().source(), "server.port"));
        }
        Optional<ConfigOverrides.Value> bind = overrides.get(Setting.BIND);
        if (bind.isPresent()) {
            server = server.withBind(bind(bind.get().value(), bind.get().source(), "server.bind"));
        }
        Optional<ConfigOverrides.Value> publicUrl = overrides.get(Setting.PUBLIC_URL);
        if (publicUrl.isPresent()) {
            server = server.withPublicUrl(
                    registryUrl(publicUrl.get().value(), publicUrl.get().source(), "server.publicUrl"));
        }
        config = config.withServer(server);
        Optional<ConfigOverrides.Value> dataDir = overrides.get(Setting.DATA_DIR);
        if (dataDir.isPresent()) {
            config = config.withDataDir(Path.of(dataDir.get().value()));
        }
        return config;
    }

    private static void checkReference(GatewayConfig config, String id, String source, String field,
            String upstreamSource) {
        if (id != null && config.upstream(id).isEmpty()) {
            throw ConfigException.field(source, field, "'" + id + "' is not an upstream: the upstreams come from "
                    + upstreamSource + " and are " + config.upstreams().stream().map(UpstreamConfig::id).toList());
        }
    }

    private GatewayConfig readFile(Path file, String overrideSource) {
        String source = file.toString();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException((overrideSource == null ? "" : overrideSource + ": ") + source
                    + ": file not found");
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        } catch (IOException e) {
            throw new ConfigException(source + ": cannot be read: " + e.getMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return defaults();
        }
        Reader r = new Reader(source);
        r.requireObject(root, "(top level)");
        r.rejectUnknown(root, "", TOP_LEVEL);

        GatewayConfig base = defaults();
        ServerConfig server = r.server(root.get("server"), base.server());
        Path dataDir = root.has("dataDir") ? Path.of(r.text(root.get("dataDir"), "dataDir")) : base.dataDir();
        List<UpstreamConfig> upstreams = r.upstreams(root.get("upstreams"));
        ClientTokens clients = r.clients(root.get("clients"));
        Set<String> ids = new LinkedHashSet<>();
        upstreams.forEach(u -> ids.add(u.id()));
        List<RouteConfig> routes = r.routes(root.get("routes"), ids, clients);
        String writeTarget = r.upstreamRef(root.get("writeTarget"), "writeTarget", ids);
        String auditUpstream = r.upstreamRef(root.get("auditUpstream"), "auditUpstream", ids);
        CacheConfig cache = r.cache(root.get("cache"), base.cache());
        StorageConfig storage = r.storage(root.get("storage"), base.storage());
        OperationsConfig operations = r.operations(root, base.operations());
        return new GatewayConfig(server, dataDir, upstreams, cache, storage, routes, clients, writeTarget,
                auditUpstream, operations);
    }

    /** Turns an operator-supplied URL into a registry base URL (http or https, with a trailing slash). */
    public static String registryUrl(String text, String source, String field) {
        String value = text.trim();
        String shown = ConfigValues.redactUserInfo(value);
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw ConfigException.field(source, field, "'" + shown + "' is not a URL");
        }
        if (uri.getUserInfo() != null || uri.getRawAuthority() != null && uri.getRawAuthority().contains("@")) {
            throw ConfigException.field(source, field,
                    "credentials must not be written into the URL; configure them as the upstream's auth");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw ConfigException.field(source, field,
                    "'" + shown + "' must be an http:// or https:// URL with a host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw ConfigException.field(source, field, "'" + shown + "' must not have a query or fragment");
        }
        return value.endsWith("/") ? value : value + "/";
    }

    static int port(String text, String source, String field) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ConfigException.field(source, field, "'" + text + "' is not a port number (0-65535)");
    }

    static String bind(String text, String source, String field) {
        String value = text.trim();
        if (value.isEmpty() || value.chars().anyMatch(c -> c <= ' ' || c == '/')) {
            throw ConfigException.field(source, field,
                    "'" + text + "' is not an address to listen on; write for example 127.0.0.1, 0.0.0.0 or ::");
        }
        return value;
    }

    /** Walks the YAML tree with the source name at hand, so every error names file and field. */
    private final class Reader {
        private final String source;

        Reader(String source) {
            this.source = source;
        }

        ServerConfig server(JsonNode node, ServerConfig base) {
            if (node == null) {
                return base;
            }
            requireObject(node, "server");
            rejectUnknown(node, "server.", Set.of("bind", "port", "publicUrl", "idleTimeout", "maxHeaderSize",
                    "maxPublishSize", "headerTimeout"));
            String bind = node.has("bind") ? bind(text(node.get("bind"), "server.bind"), source, "server.bind")
                    : base.bind();
            int port = node.has("port") ? port(text(node.get("port"), "server.port"), source, "server.port")
                    : base.port();
            String publicUrl = node.has("publicUrl")
                    ? registryUrl(text(node.get("publicUrl"), "server.publicUrl"), source, "server.publicUrl")
                    : base.publicUrl();
            Duration idle = node.has("idleTimeout") ? positive(node.get("idleTimeout"), "server.idleTimeout")
                    : base.idleTimeout();
            int maxHeader = node.has("maxHeaderSize")
                    ? (int) Math.min(Integer.MAX_VALUE, size(node.get("maxHeaderSize"), "server.maxHeaderSize"))
                    : base.maxHeaderBytes();
            int maxPublish = node.has("maxPublishSize")
                    ? (int) Math.min(Integer.MAX_VALUE - 8, size(node.get("maxPublishSize"), "server.maxPublishSize"))
                    : base.maxPublishBytes();
            if (maxPublish <= 0) {
                throw ConfigException.field(source, "server.maxPublishSize", "must be more than 0 bytes");
            }
            Duration headerTimeout = node.has("headerTimeout")
                    ? positive(node.get("headerTimeout"), "server.headerTimeout") : base.headerTimeout();
            return new ServerConfig(bind, port, publicUrl, idle, maxHeader, maxPublish, headerTimeout);
        }

        List<UpstreamConfig> upstreams(JsonNode node) {
            List<UpstreamConfig> result = new ArrayList<>();
            if (node == null || node.isNull()) {
                return result;
            }
            if (!node.isArray()) {
                throw ConfigException.field(source, "upstreams", "expected a list of upstreams");
            }
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < node.size(); i++) {
                String at = "upstreams[" + i + "]";
                JsonNode u = node.get(i);
                requireObject(u, at);
                rejectUnknown(u, at + ".", Set.of("id", "url", "auth", "alwaysAuth", "credentialHosts",
                        "connectTimeout", "readTimeout"));
                if (!u.has("url")) {
                    throw ConfigException.field(source, at + ".url", "is required (the registry's base URL)");
                }
                String url = registryUrl(text(u.get("url"), at + ".url"), source, at + ".url");
                String id = u.has("id") ? text(u.get("id"), at + ".id") : "upstream" + (i + 1);
                if (!ID.matcher(id).matches()) {
                    throw ConfigException.field(source, at + ".id",
                            "'" + id + "' must be 1-64 letters, digits, '.', '_' or '-'");
                }
                if (!ids.add(id)) {
                    throw ConfigException.field(source, at + ".id", "'" + id + "' is used by another upstream");
                }
                UpstreamAuth auth = auth(u.get("auth"), at + ".auth");
                boolean alwaysAuth = u.has("alwaysAuth")
                        ? ConfigValues.bool(text(u.get("alwaysAuth"), at + ".alwaysAuth"), source, at + ".alwaysAuth")
                        : UpstreamConfig.DEFAULT_ALWAYS_AUTH;
                List<String> hosts = new ArrayList<>();
                List<String> given = stringList(u.get("credentialHosts"), at + ".credentialHosts");
                for (int h = 0; h < given.size(); h++) {
                    String host = given.get(h).trim();
                    if (!HOST.matcher(host).matches()) {
                        throw ConfigException.field(source, at + ".credentialHosts[" + h + "]", "'" + host
                                + "' is not a host; write a host name or host:port, without scheme or path");
                    }
                    hosts.add(host);
                }
                if (!hosts.isEmpty() && auth instanceof UpstreamAuth.None) {
                    throw ConfigException.field(source, at + ".credentialHosts",
                            "lists hosts for credentials, but the upstream has no auth");
                }
                Duration connect = u.has("connectTimeout") ? positive(u.get("connectTimeout"), at + ".connectTimeout")
                        : null;
                Duration read = u.has("readTimeout") ? positive(u.get("readTimeout"), at + ".readTimeout") : null;
                result.add(new UpstreamConfig(id, url, auth, alwaysAuth, hosts, connect, read));
            }
            return result;
        }

        UpstreamAuth auth(JsonNode node, String at) {
            if (node == null || node.isNull()) {
                return UpstreamAuth.NONE;
            }
            requireObject(node, at);
            if (!node.has("type")) {
                throw ConfigException.field(source, at + ".type", "is required; one of " + AUTH_TYPES);
            }
            String type = text(node.get("type"), at + ".type").trim().toLowerCase(Locale.ROOT);
            switch (type) {
                case "none":
                    rejectUnknown(node, at + ".", Set.of("type"));
                    return UpstreamAuth.NONE;
                case "bearer":
                    rejectUnknown(node, at + ".", Set.of("type", "token"));
                    return new UpstreamAuth.Bearer(secret(required(node, at, "token", type), at + ".token"));
                case "basic": {
                    rejectUnknown(node, at + ".", Set.of("type", "username", "password"));
                    String user = text(required(node, at, "username", type), at + ".username");
                    if (user.isEmpty() || user.indexOf(':') >= 0 || user.chars().anyMatch(c -> c < 0x20)) {
                        throw ConfigException.field(source, at + ".username",
                                "expected a non-empty user name without ':' or control characters");
                    }
                    return new UpstreamAuth.Basic(user, secret(required(node, at, "password", type),
                            at + ".password"));
                }
                case "legacy":
                    rejectUnknown(node, at + ".", Set.of("type", "auth"));
                    return new UpstreamAuth.LegacyAuth(secret(required(node, at, "auth", type), at + ".auth"));
                case "codeartifact":
                    return codeArtifact(node, at);
                case "command":
                    return command(node, at);
                default:
                    throw ConfigException.field(source, at + ".type", "'" + type + "' is not a credential type; "
                            + "expected one of " + AUTH_TYPES);
            }
        }

        UpstreamAuth.CodeArtifact codeArtifact(JsonNode node, String at) {
            rejectUnknown(node, at + ".", Set.of("type", "domain", "domainOwner", "region", "durationSeconds",
                    "endpointOverride"));
            String domain = text(required(node, at, "domain", "codeartifact"), at + ".domain").trim();
            if (!UpstreamAuth.CodeArtifact.DOMAIN.matcher(domain).matches()) {
                throw ConfigException.field(source, at + ".domain", "'" + domain + "' is not a CodeArtifact domain "
                        + "name; expected 2-50 lower-case letters, digits and '-', starting with a letter");
            }
            String owner = null;
            if (node.has("domainOwner")) {
                owner = text(node.get("domainOwner"), at + ".domainOwner").trim();
                if (!UpstreamAuth.CodeArtifact.OWNER.matcher(owner).matches()) {
                    throw ConfigException.field(source, at + ".domainOwner",
                            "'" + owner + "' is not an AWS account id; expected 12 digits");
                }
            }
            String region = text(required(node, at, "region", "codeartifact"), at + ".region").trim();
            if (!UpstreamAuth.CodeArtifact.REGION.matcher(region).matches()) {
                throw ConfigException.field(source, at + ".region",
                        "'" + region + "' is not an AWS region name such as eu-west-1");
            }
            Integer duration = null;
            if (node.has("durationSeconds")) {
                String field = at + ".durationSeconds";
                String text = text(node.get("durationSeconds"), field).trim();
                long seconds;
                try {
                    seconds = text.matches("[0-9]+") ? Long.parseLong(text)
                            : ConfigValues.duration(text, source, field).toSeconds();
                } catch (NumberFormatException | ConfigException e) {
                    seconds = -1;
                }
                if (!UpstreamAuth.CodeArtifact.validDuration(seconds)) {
                    throw ConfigException.field(source, field, "'" + text + "' is not a token lifetime; expected "
                            + "0 (the lifetime of the gateway's AWS session) or 900-43200 seconds (15m-12h)");
                }
                duration = (int) seconds;
            }
            String endpoint = node.has("endpointOverride")
                    ? registryUrl(text(node.get("endpointOverride"), at + ".endpointOverride"), source,
                            at + ".endpointOverride")
                    : null;
            return new UpstreamAuth.CodeArtifact(domain, owner, region, duration, endpoint);
        }

        UpstreamAuth.TokenCommand command(JsonNode node, String at) {
            rejectUnknown(node, at + ".", Set.of("type", "command", "refresh"));
            JsonNode list = required(node, at, "command", "command");
            if (!list.isArray() || list.isEmpty()) {
                throw ConfigException.field(source, at + ".command", "expected a list: the program and its "
                        + "arguments, e.g. [vault, read, -field=token, secret/npm]");
            }
            List<String> argv = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String field = at + ".command[" + i + "]";
                JsonNode arg = list.get(i);
                if (arg == null || !arg.isValueNode() || arg.isNull()) {
                    throw ConfigException.field(source, field, "expected a single value");
                }
                // Checked now so a missing variable stops the start; kept as written so no dump shows its value.
                ConfigValues.interpolate(arg.asText(), env, source, field);
                argv.add(arg.asText());
            }
            if (argv.get(0).isBlank()) {
                throw ConfigException.field(source, at + ".command[0]", "is empty; expected the program to run");
            }
            Duration refresh = node.has("refresh") ? duration(node.get("refresh"), at + ".refresh")
                    : UpstreamAuth.TokenCommand.DEFAULT_REFRESH;
            if (refresh.compareTo(Duration.ofSeconds(1)) < 0) {
                throw ConfigException.field(source, at + ".refresh", "'" + ConfigValues.formatDuration(refresh)
                        + "' is too short; expected at least 1s");
            }
            return new UpstreamAuth.TokenCommand(argv, refresh);
        }

        ClientTokens clients(JsonNode node) {
            if (node == null || node.isNull()) {
                return ClientTokens.none();
            }
            requireObject(node, "clients");
            rejectUnknown(node, "clients.", Set.of("tokens", "users", "login"));
            List<ClientTokens.ClientToken> tokens = clientTokens(node.get("tokens"));
            List<ClientTokens.ClientUser> users = clientUsers(node.get("users"), tokens);
            ClientTokens.LoginSettings login = loginSettings(node.get("login"));
            if (node.has("login") && users.isEmpty() && tokens.isEmpty()) {
                throw ConfigException.field(source, "clients.login", "is set, but no one can log in: configure "
                        + "clients.users (or clients.tokens)");
            }
            return new ClientTokens(tokens, users, login);
        }

        List<ClientTokens.ClientUser> clientUsers(JsonNode node, List<ClientTokens.ClientToken> tokens) {
            List<ClientTokens.ClientUser> result = new ArrayList<>();
            if (node == null || node.isNull()) {
                return result;
            }
            if (!node.isArray()) {
                throw ConfigException.field(source, "clients.users", "expected a list of {name, passwordHash}");
            }
            Set<String> names = new HashSet<>();
            tokens.forEach(t -> names.add(t.name()));
            for (int i = 0; i < node.size(); i++) {
                String at = "clients.users[" + i + "]";
                JsonNode u = node.get(i);
                requireObject(u, at);
                if (u.has("password")) {
                    throw ConfigException.field(source, at + ".password", "plain passwords are not accepted; put "
                            + "the output of 'npm-gateway hash-password' in passwordHash");
                }
                rejectUnknown(u, at + ".", Set.of("name", "passwordHash"));
                String name = text(required(u, at, "name", null), at + ".name");
                if (!USER_NAME.matcher(name).matches()) {
                    throw ConfigException.field(source, at + ".name", "'" + name + "' must be 1-64 lower-case "
                            + "letters, digits, '.', '_' or '-', not starting with '.' (npm refuses other user names)");
                }
                if (!names.add(name)) {
                    throw ConfigException.field(source, at + ".name", "'" + name
                            + "' is already the name of another user or client token");
                }
                PasswordHash hash;
                try {
                    hash = PasswordHash.parse(text(required(u, at, "passwordHash", null), at + ".passwordHash"));
                } catch (IllegalArgumentException e) {
                    throw ConfigException.field(source, at + ".passwordHash", e.getMessage());
                }
                result.add(new ClientTokens.ClientUser(name, hash));
            }
            return result;
        }

        ClientTokens.LoginSettings loginSettings(JsonNode node) {
            if (node == null || node.isNull()) {
                return ClientTokens.LoginSettings.defaults();
            }
            requireObject(node, "clients.login");
            rejectUnknown(node, "clients.login.", Set.of("secret", "tokenTtl"));
            Secret secret = null;
            if (node.has("secret")) {
                secret = secret(node.get("secret"), "clients.login.secret");
                if (secret.reveal().length() < MIN_LOGIN_SECRET_LENGTH) {
                    throw ConfigException.field(source, "clients.login.secret", "is shorter than "
                            + MIN_LOGIN_SECRET_LENGTH + " characters; generate one with, for example, "
                            + "openssl rand -hex 32");
                }
            }
            Duration ttl = node.has("tokenTtl") ? positive(node.get("tokenTtl"), "clients.login.tokenTtl")
                    : ClientTokens.LoginSettings.DEFAULT_TOKEN_TTL;
            return new ClientTokens.LoginSettings(secret, ttl);
        }

        List<ClientTokens.ClientToken> clientTokens(JsonNode tokens) {
            if (tokens == null || tokens.isNull()) {
                return List.of();
            }
            if (!tokens.isArray()) {
                throw ConfigException.field(source, "clients.tokens", "expected a list of {name, token}");
            }
            List<ClientTokens.ClientToken> result = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (int i = 0; i < tokens.size(); i++) {
                String at = "clients.tokens[" + i + "]";
                JsonNode t = tokens.get(i);
                requireObject(t, at);
                rejectUnknown(t, at + ".", Set.of("name", "token"));
                String name = text(required(t, at, "name", null), at + ".name");
                if (!ID.matcher(name).matches()) {
                    throw ConfigException.field(source, at + ".name",
                            "'" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
                }
                if (!names.add(name)) {
                    throw ConfigException.field(source, at + ".name", "'" + name + "' is used by another token");
                }
                Secret token = secret(required(t, at, "token", null), at + ".token");
                if (token.reveal().length() < MIN_CLIENT_TOKEN_LENGTH) {
                    throw ConfigException.field(source, at + ".token", "is shorter than " + MIN_CLIENT_TOKEN_LENGTH
                            + " characters; generate one with, for example, openssl rand -hex 32");
                }
                for (ClientTokens.ClientToken other : result) {
                    if (other.token().equals(token)) {
                        throw ConfigException.field(source, at + ".token",
                                "is the same as the token of '" + other.name() + "'; every client needs its own");
                    }
                }
                result.add(new ClientTokens.ClientToken(name, token));
            }
            return result;
        }

        List<RouteConfig> routes(JsonNode node, Set<String> upstreamIds, ClientTokens clients) {
            List<RouteConfig> result = new ArrayList<>();
            if (node == null || node.isNull()) {
                return result;
            }
            if (!node.isArray()) {
                throw ConfigException.field(source, "routes", "expected a list of routes");
            }
            Map<String, String> seen = new HashMap<>(); // pattern -> where
            String catchAll = null;
            for (int i = 0; i < node.size(); i++) {
                String at = "routes[" + i + "]";
                JsonNode r = node.get(i);
                requireObject(r, at);
                rejectUnknown(r, at + ".", Set.of("packages", "upstreams", "policy", "anonymous"));
                List<String> patterns = stringList(required(r, at, "packages", null), at + ".packages");
                if (patterns.isEmpty()) {
                    throw ConfigException.field(source, at + ".packages", "expected at least one package pattern");
                }
                List<String> ids = stringList(required(r, at, "upstreams", null), at + ".upstreams");
                if (ids.isEmpty()) {
                    throw ConfigException.field(source, at + ".upstreams", "expected at least one upstream id");
                }
                Set<String> distinct = new HashSet<>();
                for (int j = 0; j < ids.size(); j++) {
                    String id = ids.get(j);
                    if (!upstreamIds.contains(id)) {
                        throw ConfigException.field(source, at + ".upstreams[" + j + "]", "'" + id
                                + "' is not an upstream; expected one of " + upstreamIds);
                    }
                    if (!distinct.add(id)) {
                        throw ConfigException.field(source, at + ".upstreams[" + j + "]",
                                "'" + id + "' is listed twice");
                    }
                }
                RouteConfig.Policy policy = r.has("policy")
                        ? choice(r.get("policy"), at + ".policy", RouteConfig.Policy.class)
                        : RouteConfig.Policy.FIRST;
                RouteConfig.Access anonymous = clients.isEmpty() ? RouteConfig.Access.READ : RouteConfig.Access.NONE;
                if (r.has("anonymous")) {
                    anonymous = choice(r.get("anonymous"), at + ".anonymous", RouteConfig.Access.class);
                    if (anonymous == RouteConfig.Access.NONE && clients.isEmpty()) {
                        throw ConfigException.field(source, at + ".anonymous", "is none, but no client token is "
                                + "configured (clients.tokens), so no one could read these packages");
                    }
                }
                for (int j = 0; j < patterns.size(); j++) {
                    String field = patterns.size() == 1 && !r.get("packages").isArray() ? at + ".packages"
                            : at + ".packages[" + j + "]";
                    String pattern = patterns.get(j).trim();
                    PackagePattern parsed;
                    try {
                        parsed = PackagePattern.parse(pattern);
                    } catch (IllegalArgumentException e) {
                        throw ConfigException.field(source, field, e.getMessage());
                    }
                    if (catchAll != null) {
                        throw ConfigException.field(source, field, "can never match: " + catchAll
                                + " routes every package ('*') before it");
                    }
                    if (seen.containsKey(pattern)) {
                        throw ConfigException.field(source, field, "can never match: " + seen.get(pattern)
                                + " has the same pattern '" + pattern + "' before it");
                    }
                    seen.put(pattern, field);
                    if (parsed.matchesEverything()) {
                        catchAll = field;
                    }
                    result.add(new RouteConfig(pattern, ids, policy, anonymous));
                }
            }
            return result;
        }

        String upstreamRef(JsonNode node, String field, Set<String> upstreamIds) {
            if (node == null || node.isNull()) {
                return null;
            }
            String id = text(node, field).trim();
            if (!upstreamIds.contains(id)) {
                throw ConfigException.field(source, field, "'" + id + "' is not an upstream; expected one of "
                        + upstreamIds);
            }
            return id;
        }

        CacheConfig cache(JsonNode node, CacheConfig base) {
            if (node == null) {
                return base;
            }
            requireObject(node, "cache");
            rejectUnknown(node, "cache.", Set.of("metadata"));
            JsonNode m = node.get("metadata");
            if (m == null) {
                return base;
            }
            requireObject(m, "cache.metadata");
            rejectUnknown(m, "cache.metadata.",
                    Set.of("maxAge", "maxStale", "maxMemory", "negativeTtl", "maxDocument",
                            "missingVersionRefreshInterval"));
            return new CacheConfig(
                    m.has("maxAge") ? duration(m.get("maxAge"), "cache.metadata.maxAge") : base.metadataMaxAge(),
                    m.has("maxStale") ? duration(m.get("maxStale"), "cache.metadata.maxStale")
                            : base.metadataMaxStale(),
                    m.has("maxMemory") ? size(m.get("maxMemory"), "cache.metadata.maxMemory")
                            : base.metadataMaxMemory(),
                    m.has("negativeTtl") ? duration(m.get("negativeTtl"), "cache.metadata.negativeTtl")
                            : base.negativeTtl(),
                    m.has("maxDocument") ? size(m.get("maxDocument"), "cache.metadata.maxDocument")
                            : base.maxPackumentBytes(),
                    m.has("missingVersionRefreshInterval") ? duration(m.get("missingVersionRefreshInterval"),
                            "cache.metadata.missingVersionRefreshInterval") : base.missingVersionRefreshInterval());
        }

        StorageConfig storage(JsonNode node, StorageConfig base) {
            if (node == null) {
                return base;
            }
            requireObject(node, "storage");
            rejectUnknown(node, "storage.", Set.of("maxBytes", "fileCache"));
            return new StorageConfig(node.has("maxBytes") ? size(node.get("maxBytes"), "storage.maxBytes")
                    : base.maxBytes(), node.has("fileCache") ? size(node.get("fileCache"), "storage.fileCache")
                    : base.fileCacheBytes());
        }

        /**
         * {@code admin: {token}}, {@code metrics: {path, enabled, port, downloadsPackageLabelCap, histograms}},          * {@code logging: {access}}, {@code shutdown: {grace}}.
         */
        OperationsConfig operations(JsonNode root, OperationsConfig base) {
            OperationsConfig result = base;
            JsonNode admin = root.get("admin");
            if (admin != null) {
                requireObject(admin, "admin");
                rejectUnknown(admin, "admin.", Set.of("token"));
                Secret token = secret(required(admin, "admin", "token", null), "admin.token");
                if (token.reveal().length() < MIN_CLIENT_TOKEN_LENGTH) {
                    throw ConfigException.field(source, "admin.token",
                            "must be at least " + MIN_CLIENT_TOKEN_LENGTH + " characters");
                }
                result = result.withAdminToken(token);
            }
            String metricsPath = result.metricsPath();
            Integer metricsPort = result.metricsPort();
            int labelCap = result.downloadsPackageLabelCap();
            boolean histograms = result.metricsHistograms();
            JsonNode metrics = root.get("metrics");
            if (metrics != null) {
                requireObject(metrics, "metrics");
                rejectUnknown(metrics, "metrics.",
                        Set.of("path", "enabled", "port", "downloadsPackageLabelCap", "histograms"));
                if (metrics.has("downloadsPackageLabelCap")) {
                    String value = text(metrics.get("downloadsPackageLabelCap"), "metrics.downloadsPackageLabelCap");
                    labelCap = nonNegativeInt(value, "metrics.downloadsPackageLabelCap");
                }
                if (metrics.has("histograms")) {
                    histograms = ConfigValues.bool(text(metrics.get("histograms"), "metrics.histograms"), source,
                            "metrics.histograms");
                }
                if (metrics.has("port")) {
                    metricsPort = port(text(metrics.get("port"), "metrics.port"), source, "metrics.port");
                }
                if (metrics.has("path")) {
                    metricsPath = text(metrics.get("path"), "metrics.path");
                    if (!metricsPath.matches("/[A-Za-z0-9._~/-]*") || metricsPath.startsWith("/-/")) {
                        throw ConfigException.field(source, "metrics.path",
                                "'" + metricsPath + "' must be a path such as /metrics, outside /-/");
                    }
                }
                if (metrics.has("enabled") && !ConfigValues.bool(text(metrics.get("enabled"), "metrics.enabled"), source,
                        "metrics.enabled")) {
                    metricsPath = null;
                }
            }
            OperationsConfig.AccessLogFormat format = result.accessLog();
            java.time.Duration grace = result.shutdownGrace();
            JsonNode logging = root.get("logging");
            if (logging != null) {
                requireObject(logging, "logging");
                rejectUnknown(logging, "logging.", Set.of("access"));
                if (logging.has("access")) {
                    String value = text(logging.get("access"), "logging.access");
                    try {
                        format = OperationsConfig.AccessLogFormat.valueOf(value.toUpperCase(java.util.Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw ConfigException.field(source, "logging.access",
                                "'" + value + "' is not a format; expected text or json");
                    }
                }
            }
            JsonNode shutdown = root.get("shutdown");
            if (shutdown != null) {
                requireObject(shutdown, "shutdown");
                rejectUnknown(shutdown, "shutdown.", Set.of("grace"));
                if (shutdown.has("grace")) {
                    grace = duration(shutdown.get("grace"), "shutdown.grace");
                }
            }
            return new OperationsConfig(result.adminToken(), metricsPath, metricsPort, format, grace, labelCap,
                    histograms);
        }

        private int nonNegativeInt(String value, String field) {
            try {
                int n = Integer.parseInt(value.trim());
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
            throw ConfigException.field(source, field, "'" + value + "' must be a whole number, 0 or more");
        }

        JsonNode required(JsonNode node, String at, String key, String type) {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) {
                throw ConfigException.field(source, at + "." + key, "is required"
                        + (type == null ? "" : " for type " + type));
            }
            return value;
        }

        Secret secret(JsonNode node, String field) {
            String value = text(node, field);
            if (value.isEmpty()) {
                throw ConfigException.field(source, field, "is empty (if it comes from an environment variable, "
                        + "that variable is empty)");
            }
            if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw ConfigException.field(source, field, "contains control characters (a line break?)");
            }
            return Secret.of(value);
        }

        <E extends Enum<E>> E choice(JsonNode node, String field, Class<E> type) {
            String text = text(node, field).trim();
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(text)) {
                    return e;
                }
            }
            List<String> names = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                names.add(e.name().toLowerCase(Locale.ROOT));
            }
            throw ConfigException.field(source, field, "'" + text + "' is not one of " + names);
        }

        /** A list of scalars; a single scalar counts as a list of one. */
        List<String> stringList(JsonNode node, String field) {
            List<String> result = new ArrayList<>();
            if (node == null || node.isNull()) {
                return result;
            }
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    result.add(text(node.get(i), field + "[" + i + "]"));
                }
            } else {
                result.add(text(node, field));
            }
            return result;
        }

        Duration duration(JsonNode node, String field) {
            return ConfigValues.duration(text(node, field), source, field);
        }

        Duration positive(JsonNode node, String field) {
            Duration d = duration(node, field);
            if (d.isNegative() || d.isZero()) {
                throw ConfigException.field(source, field, "'" + text(node, field)
                        + "' must be longer than zero; write for example 30s or 5m");
            }
            return d;
        }

        long size(JsonNode node, String field) {
            return ConfigValues.size(text(node, field), source, field);
        }

        String text(JsonNode node, String field) {
            if (node == null || !node.isValueNode() || node.isNull()) {
                throw ConfigException.field(source, field, "expected a single value");
            }
            return ConfigValues.interpolate(node.asText(), env, source, field);
        }

        void requireObject(JsonNode node, String field) {
            if (node == null || !node.isObject()) {
                throw ConfigException.field(source, field, "expected a mapping of keys to values");
            }
        }

        void rejectUnknown(JsonNode node, String prefix, Set<String> known) {
            Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (!known.contains(name)) {
                    throw ConfigException.field(source, prefix + name,
                            "unknown setting; expected one of " + new TreeSet<>(known));
                }
            }
        }
    }
}
