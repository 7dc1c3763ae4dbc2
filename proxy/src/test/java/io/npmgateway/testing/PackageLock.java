package io.npmgateway.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An npm {@code package-lock.json} (lockfile version 2 or 3) as the tests need it: the installed packages
 * keyed by their path in the tree ({@code node_modules/a/node_modules/b}), each with what it resolved to.
 */
public final class PackageLock {

    private static final String NODE_MODULES = "node_modules/";

    /** One installed package of the lockfile's {@code packages} section. */
    public record Entry(String path, String name, String version, String resolved, String integrity,
                        boolean optional, boolean dev, boolean peer) {

        /** {@code name@version}. */
        public String spec() {
            return name + "@" + version;
        }
    }

    private final int lockfileVersion;
    private final Map<String, Entry> entries;

    private PackageLock(int lockfileVersion, Map<String, Entry> entries) {
        this.lockfileVersion = lockfileVersion;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** Reads {@code <projectDir>/package-lock.json}. */
    public static PackageLock read(Path projectDir) {
        Path file = projectDir.resolve("package-lock.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no package-lock.json in " + projectDir);
        }
        Map<String, Object> lock = Json.readObject(file);
        int version = ((Number) lock.getOrDefault("lockfileVersion", 0)).intValue();
        if (version < 2) {
            throw new IllegalStateException(file + " has lockfileVersion " + version + "; only 2 and 3 have 'packages'");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> packages = (Map<String, Object>) lock.getOrDefault("packages", Map.of());
        packages.forEach((path, value) -> {
            if (path.isEmpty()) {
                return; // the project itself
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) value;
            entries.put(path, new Entry(path, nameOf(path, fields), (String) fields.get("version"),
                    (String) fields.get("resolved"), (String) fields.get("integrity"), flag(fields, "optional"),
                    flag(fields, "dev"), flag(fields, "peer")));
        });
        return new PackageLock(version, entries);
    }

    /** The {@code lockfileVersion}. */
    public int lockfileVersion() {
        return lockfileVersion;
    }

    /** Every installed package, keyed by path, in lockfile order; the root project is left out. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The package at {@code path}, e.g. {@code node_modules/@scope/name}. */
    public Optional<Entry> entry(String path) {
        return Optional.ofNullable(entries.get(path));
    }

    private static String nameOf(String path, Map<String, Object> fields) {
        // An aliased install ("alias": "npm:real@1") records the real name; the path has the alias.
        Object name = fields.get("name");
        if (name instanceof String) {
            return (String) name;
        }
        int at = path.lastIndexOf(NODE_MODULES);
        return at < 0 ? path : path.substring(at + NODE_MODULES.length());
    }

    private static boolean flag(Map<String, Object> fields, String name) {
        return Boolean.TRUE.equals(fields.get(name));
    }
}
