package io.npmgateway.testing;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a real pnpm ({@code tools.bin(Tool.PNPM_9)} or {@code PNPM_10}) with everything it keeps on disk under
 * one directory: HOME (its {@code .npmrc}), the XDG directories (its global rc, state and cache), the content
 * store and the metadata cache. Nothing from the developer's machine or a CI runner reaches it.
 *
 * <pre>{@code
 * PnpmCli pnpm = PnpmCli.using(tools.bin(Tool.PNPM_10), tempDir.resolve("pnpm")).registry(gateway);
 * pnpm.run(project, "install").assertSuccess();
 * }</pre>
 */
public final class PnpmCli {

    private final Path executable;
    private final Path home;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final ClientProcess process;
    private Duration timeout = NpmCli.DEFAULT_TIMEOUT;

    private PnpmCli(Path executable, Path home) {
        this.executable = executable;
        this.home = home.toAbsolutePath();
        this.process = new ClientProcess(this.home.resolve("runs"));
        settings.put("store-dir", this.home.resolve("store").toString());
        settings.put("cache-dir", this.home.resolve("cache").toString());
        settings.put("state-dir", this.home.resolve("state").toString());
        settings.put("update-notifier", "false");
        writeConfig();
    }

    /** The pnpm at {@code executable}, with its state under {@code home}. */
    public static PnpmCli using(Path executable, Path home) {
        return new PnpmCli(executable, home);
    }

    /** Sets {@code registry=}. */
    public PnpmCli registry(URI registry) {
        return config("registry", registry.toString());
    }

    /** Sets any other {@code .npmrc} line. */
    public PnpmCli config(String key, String value) {
        settings.put(key, value);
        writeConfig();
        return this;
    }

    /** pnpm's content-addressed store; a new {@code PnpmCli} has an empty one. */
    public Path storeDir() {
        return home.resolve("store");
    }

    /** Runs {@code pnpm <args>} in {@code workDir}; never throws for a non-zero exit. */
    public NpmResult run(Path workDir, String... args) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
        env.put("XDG_DATA_HOME", home.resolve("data").toString());
        env.put("XDG_STATE_HOME", home.resolve("state").toString());
        env.put("npm_config_userconfig", home.resolve(".npmrc").toString());
        return process.run(ClientProcess.command(executable, args), workDir, env, timeout);
    }

    private void writeConfig() {
        StringBuilder text = new StringBuilder();
        settings.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        ClientProcess.write(home.resolve(".npmrc"), text.toString());
    }
}
