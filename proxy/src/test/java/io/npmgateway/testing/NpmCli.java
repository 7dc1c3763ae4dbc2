package io.npmgateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a real {@code npm} (the machine's, or another one such as {@code .tools/npm10}) in a sealed-off
 * environment: its own user config file, an empty global config, its own cache and HOME, none of the
 * caller's {@code npm_config_*} or proxy variables. What npm does therefore depends only on the registry and
 * settings a test gives it here.
 *
 * <p>Configure first ({@link #registry}, {@link #authToken}, {@link #config}), then {@link #run}; runs may
 * go in parallel (they share the cache, which npm supports) but must not overlap a configuration change.
 *
 * <pre>{@code
 * NpmCli npm = NpmCli.machine(tempDir.resolve("npm")).registry(verdaccio.url());
 * npm.run(projectDir, "install").assertSuccess();
 * }</pre>
 */
public final class NpmCli {

    /** How long one npm command may run before it is killed. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

    private final Path executable;
    private final Path home;
    private final Path userConfig;
    private final Path globalConfig;
    private final Path cacheDir;
    private final ClientProcess process;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private volatile Duration timeout = DEFAULT_TIMEOUT;

    private NpmCli(Path executable, Path home) {
        this.executable = executable;
        this.home = home.toAbsolutePath();
        this.userConfig = this.home.resolve("npmrc");
        this.globalConfig = this.home.resolve("global-npmrc");
        this.cacheDir = this.home.resolve("cache");
        this.process = new ClientProcess(this.home.resolve("runs"));
        // Quiet and deterministic by default; a test turns audit back on with audit(true).
        settings.put("update-notifier", "false");
        settings.put("fund", "false");
        settings.put("audit", "false");
        try {
            Files.createDirectories(cacheDir);
            // Empty on purpose: the machine's global npmrc (a cafile, a mirror) must not leak in.
            Files.writeString(globalConfig, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writeUserConfig();
    }

    /** The machine's npm (from the PATH), with its state kept under {@code home}. */
    public static NpmCli machine(Path home) {
        return new NpmCli(TestTools.machineNpm(), home);
    }

    /** Another npm, e.g. {@code tools.bin(Tool.NPM_10)}, with its state kept under {@code home}. */
    public static NpmCli using(Path npmExecutable, Path home) {
        return new NpmCli(npmExecutable, home);
    }

    /** Sets {@code registry=}. */
    public NpmCli registry(URI registry) {
        return config("registry", registry.toString());
    }

    /** Adds {@code //host:port/path/:_authToken=<token>} for the registry at {@code registry}. */
    public NpmCli authToken(URI registry, String token) {
        return config(nerfDart(registry) + ":_authToken", token);
    }

    /** Adds {@code //host:port/path/:username=} and {@code :_password=} (base64, as npm wants it). */
    public NpmCli basicAuth(URI registry, String username, String password) {
        config(nerfDart(registry) + ":username", username);
        return config(nerfDart(registry) + ":_password",
                Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)));
    }

    /** Turns {@code npm audit} during installs on or off (off by default). */
    public NpmCli audit(boolean enabled) {
        return config("audit", Boolean.toString(enabled));
    }

    /** Sets any other line of the user config, {@code key=value}; a later call for the same key wins. */
    public synchronized NpmCli config(String key, String value) {
        if (key.contains("\n") || value.contains("\n")) {
            throw new IllegalArgumentException("npmrc keys and values are single lines");
        }
        settings.put(key, value);
        writeUserConfig();
        return this;
    }

    /** Sets how long one command may run (default {@link #DEFAULT_TIMEOUT}). */
    public NpmCli timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** The user config file npm reads. */
    public Path userConfig() {
        return userConfig;
    }

    /** npm's cache directory; delete it, or use a new {@code NpmCli}, for a cold install. */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Runs {@code npm <args>} in {@code workDir} and waits for it, killing it (and its children) after the
     * timeout. Never throws for a non-zero exit; see {@link NpmResult#assertSuccess()}.
     */
    public NpmResult run(Path workDir, String... args) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("npm_config_userconfig", userConfig.toString());
        env.put("npm_config_globalconfig", globalConfig.toString());
        env.put("npm_config_cache", cacheDir.toString());
        return process.run(ClientProcess.command(executable, args), workDir, env, timeout, false);
    }

    /**
     * Runs {@code npm <args>} answering its terminal prompts in order ({@code npm login}: user name, password);
     * the result's stdout holds stdout and stderr together.
     */
    public NpmResult runAnswering(Path workDir, java.util.List<Prompt> prompts, String... args) {
        return process.runAnswering(ClientProcess.command(executable, args), workDir, environment(), timeout,
                prompts);
    }

    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("npm_config_userconfig", userConfig.toString());
        env.put("npm_config_globalconfig", globalConfig.toString());
        env.put("npm_config_cache", cacheDir.toString());
        return env;
    }

    /** The user config file's current text (what {@code npm login} wrote into it). */
    public String userConfigText() {
        try {
            return Files.readString(userConfig);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code npm <args>} and fails with its whole output unless it succeeds. */
    public NpmResult runSuccessfully(Path workDir, String... args) {
        return run(workDir, args).assertSuccess();
    }

    /** npm's per-registry config prefix: {@code //host:port/path/}, the URL without its scheme. */
    static String nerfDart(URI registry) {
        String path = registry.getRawPath() == null || registry.getRawPath().isEmpty() ? "/" : registry.getRawPath();
        if (!path.endsWith("/")) {
            path = path + "/";
        }
        return "//" + registry.getRawAuthority() + path;
    }

    private void writeUserConfig() {
        StringBuilder text = new StringBuilder();
        settings.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        try {
            Files.writeString(userConfig, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


}
