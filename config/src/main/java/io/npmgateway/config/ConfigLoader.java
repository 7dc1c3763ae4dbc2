package io.npmgateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the YAML configuration file into a {@link GatewayConfig}. Command-line flags are applied on top by the
 * launcher. Every scalar may use {@code ${VAR}} interpolation so secrets can stay in the environment.
 *
 * <pre>
 * server:
 *   bind: 0.0.0.0
 *   port: 4873
 *   publicUrl: https://npm.example.internal/npm/
 * dataDir: /var/lib/npm-gateway
 * upstreams:
 *   - id: corp
 *     url: https://registry.example.internal/
 *     connectTimeout: 5s
 *     readTimeout: 30s
 * cache:
 *   metadata: { maxAge: 5m, maxStale: 7d, maxMemory: 64MB, negativeTtl: 30s, maxDocument: 128MB }
 * storage:
 *   maxBytes: 20GB
 * </pre>
 */
public final class ConfigLoader {
    private static final Set<String> TOP_LEVEL = Set.of("server", "dataDir", "upstreams", "cache", "storage");

    private final Map<String, String> env;

    public ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The configuration used when no file is given: loopback, port 4873, no upstream yet. */
    public static GatewayConfig defaults() {
        return new GatewayConfig(ServerConfig.defaults(), Path.of("data"), List.of(), CacheConfig.defaults(),
                StorageConfig.defaults());
    }

    public GatewayConfig load(Path file) {
        String source = file.toString();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(source + ": file not found");
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage());
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
        CacheConfig cache = r.cache(root.get("cache"), base.cache());
        StorageConfig storage = r.storage(root.get("storage"), base.storage());
        return new GatewayConfig(server, dataDir, upstreams, cache, storage);
    }

    /** Turns an operator-supplied URL into a registry base URL (http or https, with a trailing slash). */
    public static String registryUrl(String text, String source, String field) {
        String value = text.trim();
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw ConfigException.field(source, field, "'" + value + "' is not a URL");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw ConfigException.field(source, field,
                    "'" + value + "' must be an http:// or https:// URL with a host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw ConfigException.field(source, field, "'" + value + "' must not have a query or fragment");
        }
        if (uri.getUserInfo() != null) {
            throw ConfigException.field(source, field,
                    "credentials must not be written into the URL; configure them as the upstream's auth");
        }
        return value.endsWith("/") ? value : value + "/";
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
            rejectUnknown(node, "server.", Set.of("bind", "port", "publicUrl", "idleTimeout", "maxHeaderSize"));
            String bind = node.has("bind") ? text(node.get("bind"), "server.bind") : base.bind();
            int port = node.has("port") ? port(node.get("port"), "server.port") : base.port();
            String publicUrl = node.has("publicUrl")
                    ? registryUrl(text(node.get("publicUrl"), "server.publicUrl"), source, "server.publicUrl")
                    : base.publicUrl();
            Duration idle = node.has("idleTimeout")
                    ? ConfigValues.duration(text(node.get("idleTimeout"), "server.idleTimeout"), source,
                            "server.idleTimeout")
                    : base.idleTimeout();
            int maxHeader = node.has("maxHeaderSize")
                    ? (int) ConfigValues.size(text(node.get("maxHeaderSize"), "server.maxHeaderSize"), source,
                            "server.maxHeaderSize")
                    : base.maxHeaderBytes();
            return new ServerConfig(bind, port, publicUrl, idle, maxHeader);
        }

        List<UpstreamConfig> upstreams(JsonNode node) {
            List<UpstreamConfig> result = new ArrayList<>();
            if (node == null) {
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
                rejectUnknown(u, at + ".", Set.of("id", "url", "connectTimeout", "readTimeout"));
                if (!u.has("url")) {
                    throw ConfigException.field(source, at + ".url", "is required (the registry's base URL)");
                }
                String url = registryUrl(text(u.get("url"), at + ".url"), source, at + ".url");
                String id = u.has("id") ? text(u.get("id"), at + ".id") : "upstream" + (i + 1);
                if (!id.matches("[A-Za-z0-9_.-]{1,64}")) {
                    throw ConfigException.field(source, at + ".id",
                            "'" + id + "' must be 1-64 letters, digits, '.', '_' or '-'");
                }
                if (!ids.add(id)) {
                    throw ConfigException.field(source, at + ".id", "'" + id + "' is used by another upstream");
                }
                Duration connect = u.has("connectTimeout")
                        ? ConfigValues.duration(text(u.get("connectTimeout"), at + ".connectTimeout"), source,
                                at + ".connectTimeout")
                        : null;
                Duration read = u.has("readTimeout")
                        ? ConfigValues.duration(text(u.get("readTimeout"), at + ".readTimeout"), source,
                                at + ".readTimeout")
                        : null;
                result.add(new UpstreamConfig(id, url, connect, read));
            }
            return result;
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
                    Set.of("maxAge", "maxStale", "maxMemory", "negativeTtl", "maxDocument"));
            return new CacheConfig(
                    m.has("maxAge") ? duration(m.get("maxAge"), "cache.metadata.maxAge") : base.metadataMaxAge(),
                    m.has("maxStale") ? duration(m.get("maxStale"), "cache.metadata.maxStale")
                            : base.metadataMaxStale(),
                    m.has("maxMemory") ? size(m.get("maxMemory"), "cache.metadata.maxMemory")
                            : base.metadataMaxMemory(),
                    m.has("negativeTtl") ? duration(m.get("negativeTtl"), "cache.metadata.negativeTtl")
                            : base.negativeTtl(),
                    m.has("maxDocument") ? size(m.get("maxDocument"), "cache.metadata.maxDocument")
                            : base.maxPackumentBytes());
        }

        StorageConfig storage(JsonNode node, StorageConfig base) {
            if (node == null) {
                return base;
            }
            requireObject(node, "storage");
            rejectUnknown(node, "storage.", Set.of("maxBytes"));
            return new StorageConfig(node.has("maxBytes") ? size(node.get("maxBytes"), "storage.maxBytes")
                    : base.maxBytes());
        }

        Duration duration(JsonNode node, String field) {
            return ConfigValues.duration(text(node, field), source, field);
        }

        long size(JsonNode node, String field) {
            return ConfigValues.size(text(node, field), source, field);
        }

        int port(JsonNode node, String field) {
            String text = text(node, field);
            try {
                int port = Integer.parseInt(text);
                if (port >= 0 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw ConfigException.field(source, field, "'" + text + "' is not a port number (0-65535)");
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
                            "unknown setting; expected one of " + new java.util.TreeSet<>(known));
                }
            }
        }
    }
}
