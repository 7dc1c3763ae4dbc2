package io.npmgateway.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.testing.ExpectedPackage;
import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.FixtureProject;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.NpmResult;
import io.npmgateway.testing.PnpmCli;
import io.npmgateway.testing.TestFiles;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.TestTools.Tool;
import io.npmgateway.testing.VerdaccioUpstream;
import io.npmgateway.testing.YarnCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every supported client installs {@link FixtureProject#BASIC} through the gateway from one real Verdaccio with an
 * empty client cache, ends up with the expected versions, writes a lockfile that names only the gateway, and then
 * reinstalls from that lockfile alone (npm ci, pnpm --frozen-lockfile, yarn --frozen-lockfile / --immutable) with
 * another empty cache.
 *
 * <p>The reinstall goes through a second, cold gateway at the same URL whose upstream chain has changed order: an
 * upstream that has nothing now comes first. The lockfile names the gateway only, so it stays valid, and the
 * tarball path alone must be enough for the gateway to find the package again (no packument was asked first).
 *
 * <p>Half the clients reach the gateway under a {@code /npm/} path prefix, half at the root.
 */
class ClientCompatibilityTest {
    private static final Logger LOG = LoggerFactory.getLogger(ClientCompatibilityTest.class);

    @TempDir
    static Path tempDir;

    private static VerdaccioUpstream verdaccio;
    private static TestTools tools;

    /** A client, how to install and reinstall with it, how to read its lockfile, and where its gateway lives. */
    enum Client {
        NPM_MACHINE("/npm/", Lockfiles::npm),
        NPM_10("/", Lockfiles::npm),
        NPM_11("/npm/", Lockfiles::npm),
        PNPM_9("/npm/", Lockfiles::pnpm),
        PNPM_10("/", Lockfiles::pnpm),
        YARN_1("/npm/", Lockfiles::yarnClassic),
        YARN_4("/npm/", Lockfiles::yarnModern);

        final String prefix;
        final Function<Path, List<Lockfiles.Locked>> lockfile;

        Client(String prefix, Function<Path, List<Lockfiles.Locked>> lockfile) {
            this.prefix = prefix;
            this.lockfile = lockfile;
        }

        /** Whether the lockfile names every tarball URL (npm, Yarn 1), or only unconventional ones (pnpm, Yarn 4). */
        boolean locksEveryUrl() {
            return this == NPM_MACHINE || this == NPM_10 || this == NPM_11 || this == YARN_1;
        }

        String lockfileName() {
            switch (this) {
                case PNPM_9: case PNPM_10: return "pnpm-lock.yaml";
                case YARN_1: case YARN_4: return "yarn.lock";
                default: return "package-lock.json";
            }
        }

        /** Runs an install (first == true: resolving, writing the lockfile; else from the lockfile only). */
        NpmResult install(Path home, URI registry, Path project, boolean first) {
            switch (this) {
                case NPM_MACHINE:
                case NPM_10:
                case NPM_11: {
                    NpmCli npm = this == NPM_MACHINE ? NpmCli.machine(home)
                            : NpmCli.using(tools.bin(this == NPM_10 ? Tool.NPM_10 : Tool.NPM_11), home);
                    npm.registry(registry);
                    return first ? npm.run(project, "install") : npm.run(project, "ci");
                }
                case PNPM_9:
                case PNPM_10: {
                    PnpmCli pnpm = PnpmCli.using(tools.bin(this == PNPM_9 ? Tool.PNPM_9 : Tool.PNPM_10), home)
                            .registry(registry);
                    return pnpm.run(project, "install", first ? "--no-frozen-lockfile" : "--frozen-lockfile");
                }
                case YARN_1: {
                    YarnCli yarn = YarnCli.classic(tools.bin(Tool.YARN_1), home).registry(registry);
                    return first ? yarn.run(project, "install", "--non-interactive")
                            : yarn.run(project, "install", "--non-interactive", "--frozen-lockfile");
                }
                case YARN_4: {
                    YarnCli yarn = YarnCli.modern(tools.bin(Tool.YARN_4), home).registry(registry);
                    return first ? yarn.run(project, "install") : yarn.run(project, "install", "--immutable");
                }
                default:
                    throw new IllegalStateException(name());
            }
        }
    }

    @BeforeAll
    static void startVerdaccioWithTheFixtures() {
        tools = TestTools.locate();
        verdaccio = VerdaccioUpstream.builder(tools).workDir(tempDir.resolve("verdaccio")).start();
        FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
    }

    @AfterAll
    static void stopVerdaccio() {
        if (verdaccio != null) {
            verdaccio.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void installsThroughTheGatewayThenReinstallsFromItsLockfileAfterTheUpstreamOrderChanged(Client client)
            throws Exception {
        Path work = tempDir.resolve(client.name().toLowerCase());
        int port = ClientGateway.freePort();
        String publicUrl = ClientGateway.publicUrl(port, client.prefix);
        URI registry = URI.create(publicUrl);
        Path project = FixtureProject.BASIC.copyTo(work.resolve("project"));
        if (client == Client.YARN_4) {
            // Marks the directory as a project root of its own for Yarn 4.
            Files.writeString(project.resolve("yarn.lock"), "");
        }
        UpstreamConfig theFixtures = UpstreamConfig.of("verdaccio", verdaccio.url().toString());

        long started = System.nanoTime();
        try (Gateway gateway = ClientGateway.start(work.resolve("data-1"), publicUrl, List.of(theFixtures))) {
            client.install(work.resolve("home-install"), registry, project, true).assertSuccess();
        }
        LOG.info("{} install through the gateway at {}: {} ms", client, publicUrl, millisSince(started));
        assertInstalled(project);
        String lockfile = Lockfiles.read(project.resolve(client.lockfileName()));
        assertLockfileNamesOnlyTheGateway(client, project, lockfile, publicUrl);

        clean(project);
        started = System.nanoTime();
        try (MockWebServer nothing = ClientGateway.emptyRegistry();
             Gateway reordered = ClientGateway.start(work.resolve("data-2"), publicUrl, List.of(
                     UpstreamConfig.of("empty", "http://127.0.0.1:" + nothing.getPort() + "/"), theFixtures))) {
            client.install(work.resolve("home-reinstall"), registry, project, false).assertSuccess();
            assertThat(nothing.getRequestCount()).as("the upstream now first in the chain was asked").isPositive();
        }
        LOG.info("{} reinstall from its lockfile: {} ms", client, millisSince(started));
        assertInstalled(project);
        assertThat(Lockfiles.read(project.resolve(client.lockfileName())))
                .as("the reinstall left the lockfile as it was").isEqualTo(lockfile);
    }

    private static void assertLockfileNamesOnlyTheGateway(Client client, Path project, String lockfile,
            String publicUrl) {
        List<Lockfiles.Locked> locked = client.lockfile.apply(project);
        assertThat(locked).extracting(Lockfiles.Locked::spec).as("what %s locked", client)
                .containsExactlyInAnyOrderElementsOf(
                        FixtureProject.BASIC.expectedPackages().stream().map(ExpectedPackage::spec).toList());
        for (Lockfiles.Locked entry : locked) {
            String conventional = publicUrl + entry.name() + "/-/"
                    + FixturePackages.named(entry.name()).tarballFileName(entry.version());
            if (client.locksEveryUrl()) {
                assertThat(entry.tarballUrl()).as("tarball URL of %s", entry.spec()).isEqualTo(conventional);
            } else {
                // pnpm and Yarn 4 pin a URL only when it is not the conventional one under the registry.
                assertThat(entry.tarballUrl()).as("pinned tarball URL of %s", entry.spec()).isNull();
            }
        }
        assertThat(lockfile).as("the lockfile never names the upstream")
                .doesNotContain(":" + verdaccio.port() + "/").doesNotContain("%3A" + verdaccio.port());
    }

    private static void assertInstalled(Path project) {
        for (ExpectedPackage want : FixtureProject.BASIC.expectedPackages()) {
            Optional<Path> dir = InstalledTree.locate(project, want);
            if (want.installed()) {
                assertThat(dir).as("%s is installed", want.spec()).isPresent();
                assertThat(InstalledTree.version(dir.get())).as("version of %s", want.npmPath())
                        .isEqualTo(want.version());
            } else {
                assertThat(dir).as("%s is skipped on this platform", want.spec()).isEmpty();
            }
        }
        for (String bin : FixtureProject.BASIC.expectedBins()) {
            assertThat(project.resolve("node_modules/.bin").resolve(bin)).exists();
        }
    }

    /** Removes everything an install produced except the lockfile. */
    private static void clean(Path project) throws IOException {
        for (String produced : List.of("node_modules", ".yarn", ".pnp.cjs", ".pnp.loader.mjs")) {
            Path path = project.resolve(produced);
            if (Files.isDirectory(path)) {
                TestFiles.deleteRecursively(path);
            } else {
                Files.deleteIfExists(path);
            }
        }
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
