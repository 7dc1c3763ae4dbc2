package io.npmgateway.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.npmgateway.testing.PackageLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads what each client's lockfile pinned: every package as {@code name@version}, and every tarball URL the
 * lockfile names explicitly (npm and Yarn 1 always write one; pnpm and Yarn 4 only when the registry's URL is
 * not the conventional {@code <registry><name>/-/<file>.tgz}, so for them an empty list is the good outcome).
 */
final class Lockfiles {

    /** One locked package. */
    record Locked(String name, String version, String tarballUrl) {
        String spec() {
            return name + "@" + version;
        }
    }

    private Lockfiles() {
    }

    static List<Locked> npm(Path project) {
        List<Locked> locked = new ArrayList<>();
        for (PackageLock.Entry e : PackageLock.read(project).entries().values()) {
            locked.add(new Locked(e.name(), e.version(), e.resolved()));
        }
        return locked;
    }

    /** {@code pnpm-lock.yaml}, lockfile format 9 (pnpm 9 and 10): {@code packages: {'name@version': {resolution}}}. */
    static List<Locked> pnpm(Path project) {
        JsonNode lock = yaml(project.resolve("pnpm-lock.yaml"));
        List<Locked> locked = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = lock.path("packages").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            int at = key.indexOf('@', 1);
            JsonNode tarball = entry.getValue().path("resolution").path("tarball");
            locked.add(new Locked(key.substring(0, at), key.substring(at + 1),
                    tarball.isTextual() ? tarball.asText() : null));
        }
        return locked;
    }

    /**
     * Yarn 1's own format: a header line of the specs an entry satisfies, then indented {@code version "x"} and
     * {@code resolved "<url>#<sha1>"} lines.
     */
    static List<Locked> yarnClassic(Path project) {
        List<Locked> locked = new ArrayList<>();
        String name = null;
        String version = null;
        for (String line : read(project.resolve("yarn.lock")).split("\n")) {
            if (!line.startsWith(" ") && line.endsWith(":")) {
                String first = line.substring(0, line.length() - 1).split(",")[0].trim().replace("\"", "");
                name = first.substring(0, first.indexOf('@', 1));
                version = null;
            } else if (line.startsWith("  version ")) {
                version = unquote(line.substring("  version ".length()));
            } else if (line.startsWith("  resolved ") && name != null) {
                String resolved = unquote(line.substring("  resolved ".length()));
                int hash = resolved.indexOf('#');
                locked.add(new Locked(name, version, hash < 0 ? resolved : resolved.substring(0, hash)));
            }
        }
        return locked;
    }

    /**
     * Yarn 4's YAML lockfile: {@code resolution: "name@npm:version"}, with {@code ::__archiveUrl=<url>} appended
     * only when the registry's tarball URL is not the conventional one.
     */
    static List<Locked> yarnModern(Path project) {
        JsonNode lock = yaml(project.resolve("yarn.lock"));
        List<Locked> locked = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = lock.fields(); it.hasNext(); ) {
            JsonNode entry = it.next().getValue();
            String resolution = entry.path("resolution").asText("");
            int npm = resolution.indexOf("@npm:");
            if (npm < 0) {
                continue; // __metadata, the workspace itself
            }
            String rest = resolution.substring(npm + "@npm:".length());
            String archive = null;
            int params = rest.indexOf("::");
            if (params >= 0) {
                String query = rest.substring(params + 2);
                rest = rest.substring(0, params);
                for (String pair : query.split("&")) {
                    if (pair.startsWith("__archiveUrl=")) {
                        archive = java.net.URLDecoder.decode(pair.substring("__archiveUrl=".length()),
                                java.nio.charset.StandardCharsets.UTF_8);
                    }
                }
            }
            locked.add(new Locked(resolution.substring(0, npm), rest, archive));
        }
        return locked;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode yaml(Path file) {
        try {
            return new YAMLMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
    }

    private static String unquote(String text) {
        String t = text.trim();
        return t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }
}
