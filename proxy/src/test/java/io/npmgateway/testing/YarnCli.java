package io.npmgateway.testing;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a real Yarn, classic (1.x, {@code Tool.YARN_1}) or modern (4.x, {@code Tool.YARN_4}), with its home,
 * configuration and caches under one directory.
 *
 * <p>Yarn 1 reads {@code ~/.yarnrc}; it gets the registry, its cache folder and no self-update check. Yarn 4
 * reads {@code ~/.yarnrc.yml}; it gets the registry with its host on {@code unsafeHttpWhitelist} (Yarn 4
 * refuses plain {@code http:} registries otherwise), a cache folder of its own instead of the global cache, no
 * telemetry, the {@code node-modules} linker (so installs can be inspected like npm's), immutable installs off
 * (the reinstall asks with {@code --immutable}) and no minimal age gate: Yarn 4 quarantines versions younger
 * than a day by default, and the fixtures are minutes old.
 */
public final class YarnCli {

    /** Which Yarn line the executable is. */
    public enum Line { CLASSIC, MODERN }

    private final Path executable;
    private final Path home;
    private final Line line;
    private final ClientProcess process;
    private Duration timeout = NpmCli.DEFAULT_TIMEOUT;

    private YarnCli(Path executable, Path home, Line line) {
        this.executable = executable;
        this.home = home.toAbsolutePath();
        this.line = line;
        this.process = new ClientProcess(this.home.resolve("runs"));
    }

    /** Yarn 1 at {@code executable}, with its state under {@code home}. */
    public static YarnCli classic(Path executable, Path home) {
        return new YarnCli(executable, home, Line.CLASSIC);
    }

    /** Yarn 4 at {@code executable}, with its state under {@code home}. */
    public static YarnCli modern(Path executable, Path home) {
        return new YarnCli(executable, home, Line.MODERN);
    }

    public Line line() {
        return line;
    }

    /** Where Yarn keeps its package cache; a new {@code YarnCli} has an empty one. */
    public Path cacheDir() {
        return home.resolve("cache");
    }

    private String authToken;

    /**
     * A token Yarn sends to the registry with every request ({@code npmAuthToken} with {@code npmAlwaysAuth} for
     * Yarn 4, {@code _authToken} for Yarn 1); set before {@link #registry}.
     */
    public YarnCli authToken(String token) {
        this.authToken = token;
        return this;
    }

    /** Points Yarn at {@code registry} and writes the rest of its configuration. */
    public YarnCli registry(URI registry) {
        if (line == Line.CLASSIC) {
            ClientProcess.write(home.resolve(".yarnrc"), String.join("\n",
                    "registry " + quote(registry.toString()),
                    "cache-folder " + quote(cacheDir().toString()),
                    "disable-self-update-check true",
                    "") );
            // Yarn 1 also reads npm's configuration; keep it empty but present so nothing else is picked up.
            ClientProcess.write(home.resolve(".npmrc"), "registry=" + registry + "\n" + (authToken == null ? ""
                    : "//" + registry.getRawAuthority() + registry.getRawPath() + ":_authToken=" + authToken + "\n"
                            + "always-auth=true\n"));
        } else {
            ClientProcess.write(home.resolve(".yarnrc.yml"), String.join("\n",
                    "npmRegistryServer: " + quote(registry.toString()),
                    "unsafeHttpWhitelist:",
                    "  - " + quote(registry.getHost()),
                    "enableTelemetry: false",
                    "enableGlobalCache: false",
                    "cacheFolder: " + quote(cacheDir().toString()),
                    "globalFolder: " + quote(home.resolve("global").toString()),
                    "enableImmutableInstalls: false",
                    "npmMinimalAgeGate: 0",
                    "nodeLinker: node-modules",
                    "enableProgressBars: false",
                    authToken == null ? "" : "npmAuthToken: " + quote(authToken) + "\nnpmAlwaysAuth: true",
                    ""));
        }
        return this;
    }

    /** Runs {@code yarn <args>} in {@code workDir}; never throws for a non-zero exit. */
    public NpmResult run(Path workDir, String... args) {
        return process.run(ClientProcess.command(executable, args), workDir, environment(), timeout);
    }

    /**
     * Runs {@code yarn <args>} answering its terminal prompts in order ({@code yarn npm login}: user name,
     * password); the result's stdout holds stdout and stderr together.
     */
    public NpmResult runAnswering(Path workDir, List<Prompt> prompts, String... args) {
        return process.runAnswering(ClientProcess.command(executable, args), workDir, environment(), timeout,
                prompts);
    }

    /** The text of the home configuration file ({@code .yarnrc.yml} for Yarn 4), where logins store tokens. */
    public String homeConfigText() {
        try {
            return java.nio.file.Files.readString(home.resolve(line == Line.CLASSIC ? ".yarnrc" : ".yarnrc.yml"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_CACHE_HOME", home.resolve("xdg-cache").toString());
        env.put("XDG_DATA_HOME", home.resolve("data").toString());
        env.put("npm_config_userconfig", home.resolve(".npmrc").toString());
        if (line == Line.MODERN) {
            // The home rc file is read only from here: no rc file of the machine's user may leak in.
            env.put("YARN_RC_FILENAME", ".yarnrc.yml");
            env.put("YARN_ENABLE_TELEMETRY", "0");
        }
        return env;
    }

    private static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
