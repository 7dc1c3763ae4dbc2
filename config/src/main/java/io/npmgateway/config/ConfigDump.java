package io.npmgateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * The effective configuration as text, in the schema {@link ConfigLoader} reads, with every {@link Secret} written
 * as {@code ***}: for {@code --print-config} and the configuration line logged at start. Routes are the
 * {@linkplain GatewayConfig#effectiveRoutes() routes in force}, so the default route shows. Apart from the masked
 * secrets, the YAML form loads back into the same configuration.
 */
public final class ConfigDump {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ConfigDump() {
    }

    public static String yaml(GatewayConfig config) {
        YAMLFactory yaml = YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                .build();
        return write(new ObjectMapper(yaml), config);
    }

    /** Indented JSON. */
    public static String json(GatewayConfig config) {
        return write(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT), config);
    }

    /** JSON on one line, for a log line. */
    public static String oneLine(GatewayConfig config) {
        return write(new ObjectMapper(), config);
    }

    private static String write(ObjectMapper mapper, GatewayConfig config) {
        try {
            return mapper.writeValueAsString(tree(config));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The configuration as a tree in the file's schema, secrets masked. */
    static ObjectNode tree(GatewayConfig config) {
        ObjectNode root = NODES.objectNode();
        ServerConfig s = config.server();
        ObjectNode server = root.putObject("server");
        server.put("bind", s.bind());
        server.put("port", s.port());
        if (s.publicUrl() != null) {
            server.put("publicUrl", s.publicUrl());
        }
        server.put("idleTimeout", ConfigValues.formatDuration(s.idleTimeout()));
        size(server, "maxHeaderSize", s.maxHeaderBytes());
        server.put("headerTimeout", ConfigValues.formatDuration(s.headerTimeout()));
        root.put("dataDir", config.dataDir().toString());

        ArrayNode upstreams = root.putArray("upstreams");
        for (UpstreamConfig u : config.upstreams()) {
            ObjectNode node = upstreams.addObject();
            node.put("id", u.id());
            node.put("url", u.url());
            node.set("auth", auth(u.auth()));
            node.put("alwaysAuth", u.alwaysAuth());
            if (!u.extraCredentialHosts().isEmpty()) {
                ArrayNode hosts = node.putArray("credentialHosts");
                u.extraCredentialHosts().forEach(hosts::add);
            }
            node.put("connectTimeout", ConfigValues.formatDuration(u.connectTimeout()));
            node.put("readTimeout", ConfigValues.formatDuration(u.readTimeout()));
        }

        ArrayNode routes = root.putArray("routes");
        for (RouteConfig r : config.effectiveRoutes()) {
            ObjectNode node = routes.addObject();
            node.put("packages", r.pattern());
            ArrayNode ids = node.putArray("upstreams");
            r.upstreamIds().forEach(ids::add);
            node.put("policy", lower(r.policy()));
            node.put("anonymous", lower(r.anonymous()));
        }

        if (!config.clients().isEmpty()) {
            ClientTokens c = config.clients();
            ObjectNode clients = root.putObject("clients");
            if (!c.tokens().isEmpty()) {
                ArrayNode tokens = clients.putArray("tokens");
                for (ClientTokens.ClientToken t : c.tokens()) {
                    tokens.addObject().put("name", t.name()).put("token", String.valueOf(t.token()));
                }
            }
            if (!c.users().isEmpty()) {
                ArrayNode users = clients.putArray("users");
                for (ClientTokens.ClientUser u : c.users()) {
                    // The hash is enough to attack the password offline: masked like a secret.
                    users.addObject().put("name", u.name()).put("passwordHash", String.valueOf(u.passwordHash()));
                }
            }
            ObjectNode login = clients.putObject("login");
            if (c.login().secret() != null) {
                login.put("secret", String.valueOf(c.login().secret()));
            }
            login.put("tokenTtl", formatDuration(c.login().tokenTtl()));
        }
        if (config.writeTarget() != null) {
            root.put("writeTarget", config.writeTarget());
        }
        if (config.auditUpstream() != null) {
            root.put("auditUpstream", config.auditUpstream());
        }

        CacheConfig c = config.cache();
        ObjectNode metadata = root.putObject("cache").putObject("metadata");
        metadata.put("maxAge", ConfigValues.formatDuration(c.metadataMaxAge()));
        if (c.metadataMaxStale() != null) {
            metadata.put("maxStale", ConfigValues.formatDuration(c.metadataMaxStale()));
        }
        size(metadata, "maxMemory", c.metadataMaxMemory());
        metadata.put("negativeTtl", ConfigValues.formatDuration(c.negativeTtl()));
        size(metadata, "maxDocument", c.maxPackumentBytes());
        metadata.put("missingVersionRefreshInterval", ConfigValues.formatDuration(c.missingVersionRefreshInterval()));
        ObjectNode storage = root.putObject("storage");
        size(storage, "maxBytes", config.storage().maxBytes());
        size(storage, "fileCache", config.storage().fileCacheBytes());
        operations(root, config.operations());
        return root;
    }

    /** The admin, metrics, logging and shutdown sections, as the loader reads them. */
    private static void operations(ObjectNode root, OperationsConfig ops) {
        if (ops.adminToken() != null) {
            root.putObject("admin").put("token", String.valueOf(ops.adminToken()));
        }
        ObjectNode metrics = root.putObject("metrics");
        if (ops.metricsPath() == null) {
            metrics.put("enabled", false);
        } else {
            metrics.put("path", ops.metricsPath());
        }
        if (ops.metricsPort() != null) {
            metrics.put("port", ops.metricsPort());
        }
        metrics.put("downloadsPackageLabelCap", ops.downloadsPackageLabelCap());
        metrics.put("histograms", ops.metricsHistograms());
        root.putObject("logging").put("access", lower(ops.accessLog()));
        root.putObject("shutdown").put("grace", formatDuration(ops.shutdownGrace()));
    }

    private static ObjectNode auth(UpstreamAuth auth) {
        ObjectNode node = NODES.objectNode();
        node.put("type", auth.type());
        if (auth instanceof UpstreamAuth.Bearer b) {
            node.put("token", String.valueOf(b.token()));
        } else if (auth instanceof UpstreamAuth.Basic b) {
            node.put("username", b.username());
            node.put("password", String.valueOf(b.password()));
        } else if (auth instanceof UpstreamAuth.LegacyAuth l) {
            node.put("auth", String.valueOf(l.auth()));
        } else if (auth instanceof UpstreamAuth.CodeArtifact ca) {
            node.put("domain", ca.domain());
            if (ca.domainOwner() != null) {
                node.put("domainOwner", ca.domainOwner());
            }
            node.put("region", ca.region());
            if (ca.durationSeconds() != null) {
                node.put("durationSeconds", ca.durationSeconds());
            }
            if (ca.endpointOverride() != null) {
                node.put("endpointOverride", ca.endpointOverride());
            }
        } else if (auth instanceof UpstreamAuth.TokenCommand tc) {
            ArrayNode argv = node.putArray("command");
            tc.command().forEach(argv::add); // as written: ${VAR} references, never their values
            node.put("refresh", formatDuration(tc.refreshInterval()));
        }
        return node;
    }

    /** {@code 64MB} when a unit fits exactly, else a plain number of bytes. */
    private static void size(ObjectNode node, String key, long bytes) {
        String text = ConfigValues.formatSize(bytes);
        if (text.chars().allMatch(Character::isDigit)) {
            node.put(key, bytes);
        } else {
            node.put(key, text);
        }
    }

    private static String formatDuration(Duration d) {
        return ConfigValues.formatDuration(d);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }
}
