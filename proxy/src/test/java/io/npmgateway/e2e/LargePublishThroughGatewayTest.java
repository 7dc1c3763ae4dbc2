package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.VerdaccioUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publish far larger than the gateway's heap could aggregate goes through a real gateway JVM started with
 * {@code -Xmx256m}: the real npm publishes a package holding 200 MB of incompressible bytes (a request body of
 * about 267 MB, base64, more than the gateway's whole heap) through the gateway to a real Verdaccio, then installs
 * that version through the gateway and finds the very bytes it published. The {@code large-publish} Maven profile
 * runs it with 300 MB (a 400 MB body) by setting {@code npmgateway.largePublish.megabytes}.
 */
class LargePublishThroughGatewayTest {
    /** Over the gateway's whole heap once base64-encoded, as npm sends it. */
    static final int BLOB_MEGABYTES = Integer.getInteger("npmgateway.largePublish.megabytes", 200);

    @TempDir
    Path temp;

    @Test
    void aPublishLargerThanTheGatewaysHeapStreamsThroughAndInstallsIntact() throws Exception {
        try (VerdaccioUpstream verdaccio = VerdaccioUpstream.builder(TestTools.locate())
                .workDir(temp.resolve("verdaccio")).start()) {
            String publisherToken = verdaccio.addUser("publisher", "publisher-password");
            Path config = temp.resolve("gateway.yaml");
            Files.writeString(config, String.join("\n",
                    "server:",
                    "  maxPublishSize: 1GB",
                    "upstreams:",
                    "  - id: verdaccio",
                    "    url: " + verdaccio.url(),
                    "    auth: { type: bearer, token: \"" + publisherToken + "\" }",
                    "    readTimeout: 120s",
                    "writeTarget: verdaccio",
                    ""));
            try (ChildGateway gateway = ChildGateway.startWithConfig(temp.resolve("data"), config,
                    temp.resolve("gateway.log"))) {
                Path pkg = Files.createDirectories(temp.resolve("huge"));
                Files.writeString(pkg.resolve("package.json"), "{\"name\":\"fixture-huge\",\"version\":\"1.0.0\","
                        + "\"description\":\"larger than the gateway's heap\",\"license\":\"MIT\"}");
                String published = writeRandom(pkg.resolve("blob.bin"), BLOB_MEGABYTES * 1024L * 1024L);

                NpmCli npm = NpmCli.machine(temp.resolve("npm-home")).registry(gateway.url())
                        .authToken(gateway.url(), "not-checked-by-this-gateway");
                long started = System.nanoTime();
                npm.runSuccessfully(pkg, "publish");
                System.out.printf("npm publish of %d MB through the gateway: %d s%n", BLOB_MEGABYTES,
                        (System.nanoTime() - started) / 1_000_000_000L);

                assertThat(gateway.isAlive()).as("the gateway survived the publish:\n%s", gateway.output()).isTrue();
                assertThat(verdaccio.storageDir().resolve("fixture-huge/fixture-huge-1.0.0.tgz")).isRegularFile();

                Path project = Files.createDirectories(temp.resolve("consumer"));
                Files.writeString(project.resolve("package.json"),
                        "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"dependencies\":{\"fixture-huge\":\"1.0.0\"}}");
                started = System.nanoTime();
                NpmCli.machine(temp.resolve("npm-consumer")).registry(gateway.url()).audit(false)
                        .runSuccessfully(project, "install");
                System.out.printf("npm install of it through the gateway: %d s%n",
                        (System.nanoTime() - started) / 1_000_000_000L);

                assertThat(sha256(project.resolve("node_modules/fixture-huge/blob.bin"))).isEqualTo(published);
                assertThat(Files.readString(project.resolve("package-lock.json")))
                        .contains(gateway.url() + "fixture-huge/-/fixture-huge-1.0.0.tgz");
                assertThat(gateway.output()).doesNotContain("OutOfMemoryError");
            }
        }
    }

    /** Writes {@code size} random bytes (gzip cannot shrink them) and returns their SHA-256. */
    private static String writeRandom(Path file, long size) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        SplittableRandom random = new SplittableRandom(20261122L);
        byte[] buffer = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buffer.length) {
                random.nextBytes(buffer);
                int n = (int) Math.min(buffer.length, left);
                out.write(buffer, 0, n);
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1024 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
