package io.npmgateway.cli;

import io.npmgateway.Gateway;
import io.npmgateway.config.ConfigDump;
import io.npmgateway.config.ConfigException;
import io.npmgateway.config.ConfigLoader;
import io.npmgateway.config.ConfigOverrides;
import io.npmgateway.config.ConfigOverrides.Setting;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.server.GatewayServer;
import io.npmgateway.storage.GatewayStore;
import io.npmgateway.storage.StoreException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * The {@code npm-gateway} command line: reads the configuration (file, then flags), starts the gateway, logs
 * where it listens, and runs until SIGTERM or SIGINT, then shuts down cleanly with exit code 0. Operator
 * mistakes (bad flag, port in use, unusable data directory, no upstream) end with one clear line and a
 * non-zero exit code, never a stack trace.
 */
@Command(name = "npm-gateway", mixinStandardHelpOptions = true, version = "npm-gateway 0.1.0",
        sortOptions = false, subcommands = HashPasswordCommand.class,
        description = "A caching npm pull-through gateway. Point npm, pnpm or Yarn at the URL it prints.")
public final class GatewayCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("npm-gateway");

    /** Exit code for configuration and startup errors the operator can fix. */
    public static final int EXIT_CONFIG = 2;
    /** Exit code for failures at startup outside the configuration (port in use, store unusable). */
    public static final int EXIT_STARTUP = 3;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (default: $NPM_GATEWAY_CONFIG).")
    Path configFile;

    @Option(names = "--npmrc", paramLabel = "FILE",
            description = "Take upstreams, routes and credentials from an npm configuration file, as npm reads it; "
                    + "repeat to layer files, later over earlier (user .npmrc first, then the project's).")
    List<Path> npmrc = new ArrayList<>();

    @Option(names = "--print-config", paramLabel = "FORMAT", arity = "0..1", fallbackValue = "yaml",
            description = "Print the effective configuration (yaml or json; secrets as ***) and exit.")
    String printConfig;

    @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default 4873; 0 = any free port).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default 127.0.0.1).")
    String bind;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory of the cache store (default ./data).")
    Path dataDir;

    @Option(names = "--upstream", paramLabel = "URL",
            description = "Upstream registry URL; repeat for a chain (first has priority). "
                    + "Default: the registry npm is configured with.")
    List<String> upstreams = new ArrayList<>();

    @Option(names = "--public-url", paramLabel = "URL",
            description = "URL clients use to reach the gateway, with any path prefix (default: the listening address).")
    String publicUrl;

    private final CountDownLatch stopped = new CountDownLatch(1);

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new GatewayCommand());
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            line.getErr().println("npm-gateway: " + ex.getMessage());
            return EXIT_STARTUP;
        });
        return cl;
    }

    @Override
    public Integer call() {
        long started = System.nanoTime();
        GatewayStore.preloadInBackground();
        GatewayConfig config;
        try {
            config = configuration();
        } catch (ConfigException e) {
            System.err.println("npm-gateway: " + e.getMessage());
            return EXIT_CONFIG;
        }
        if (printConfig != null) {
            String format = printConfig.toLowerCase(Locale.ROOT);
            if (!format.equals("yaml") && !format.equals("json")) {
                System.err.println("npm-gateway: --print-config: '" + printConfig + "' is not yaml or json");
                return EXIT_CONFIG;
            }
            System.out.print(format.equals("json") ? ConfigDump.json(config) + System.lineSeparator()
                    : ConfigDump.yaml(config));
            System.out.flush();
            return 0;
        }
        LOG.info("configuration: {}", ConfigDump.oneLine(config));
        Gateway gateway;
        try {
            gateway = Gateway.start(config);
        } catch (GatewayServer.ServerStartException | StoreException e) {
            System.err.println("npm-gateway: " + e.getMessage());
            return EXIT_STARTUP;
        }
        // SIGTERM and SIGINT end the wait below, so the gateway closes its store cleanly and the process exits 0.
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> stopped.countDown());
        }
        LOG.info("npm-gateway listening on {}:{} (registry URL for clients: {})",
                gateway.localAddress().getAddress().getHostAddress(), gateway.localAddress().getPort(),
                gateway.publicUrl());
        LOG.info("upstreams: {}", config.upstreams().stream()
                .map(u -> u.id() + "=" + u.url()).collect(Collectors.joining(", ")));
        LOG.info("data dir: {}; ready in {} ms", config.dataDir().toAbsolutePath(),
                (System.nanoTime() - started) / 1_000_000);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("shutting down");
        gateway.close();
        LOG.info("stopped");
        return 0;
    }

    /** The file (or defaults), then the environment, then flags; with no upstream anywhere, npm's own registry. */
    GatewayConfig configuration() {
        ConfigOverrides flags = ConfigOverrides.none()
                .with(Setting.CONFIG_FILE, "--config", configFile == null ? null : configFile.toString())
                .with(Setting.NPMRC, "--npmrc", npmrc.stream().map(Path::toString).toList())
                .with(Setting.PORT, "--port", port == null ? null : port.toString())
                .with(Setting.BIND, "--bind", bind)
                .with(Setting.DATA_DIR, "--data-dir", dataDir == null ? null : dataDir.toString())
                .with(Setting.PUBLIC_URL, "--public-url", publicUrl)
                .with(Setting.UPSTREAMS, "--upstream", upstreams);
        GatewayConfig config = new ConfigLoader(System.getenv(), NpmRegistryDiscovery::configuredRegistry)
                .load(ConfigOverrides.fromEnvironment(System.getenv()).overriddenBy(flags));
        if (config.upstreams().isEmpty()) {
            Optional<String> npm = NpmRegistryDiscovery.configuredRegistry();
            if (npm.isEmpty()) {
                throw new ConfigException("no upstream registry: pass --upstream URL, list upstreams in --config, "
                        + "or configure npm's registry (npm config set registry URL)");
            }
            config = config.withUpstreams(List.of(UpstreamConfig.of("npm", npm.get())));
        }
        return config;
    }
}
