package io.npmgateway.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds the registry npm itself is configured with ({@code npm config get registry}), the default upstream when
 * none is configured: the gateway then proxies exactly what the developer's npm already used, and no registry
 * address is ever written into the gateway's own code or files.
 */
public final class NpmRegistryDiscovery {
    private static final long TIMEOUT_SECONDS = 15;

    private NpmRegistryDiscovery() {
    }

    public static Optional<String> configuredRegistry() {
        ProcessBuilder pb = new ProcessBuilder("npm", "config", "get", "registry");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("NO_UPDATE_NOTIFIER", "1");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readNBytes(4096);
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            if (p.exitValue() != 0) {
                return Optional.empty();
            }
            String value = new String(out, StandardCharsets.UTF_8).trim();
            if (value.isEmpty() || value.equals("undefined") || value.equals("null")
                    || !(value.startsWith("http://") || value.startsWith("https://"))) {
                return Optional.empty();
            }
            return Optional.of(value);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
