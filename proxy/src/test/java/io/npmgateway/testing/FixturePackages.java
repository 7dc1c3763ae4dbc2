package io.npmgateway.testing;

import io.npmgateway.testing.FixturePackage.Release;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The fixture packages, and their publication to a Verdaccio with the real {@code npm publish} and
 * {@code npm deprecate}, so the registry documents and tarballs are exactly what npm produces.
 *
 * <p>The set covers what an install meets in practice: scoped and unscoped names, several versions of one
 * package, dependencies between packages, a command ({@code bin}), a prerelease on a dist-tag other than
 * {@code latest}, a peer dependency, optional dependencies, one of them restricted by {@code os}/{@code cpu}
 * to a platform tests never run on, and a deprecated version. {@link FixtureProject#BASIC} installs them
 * all.
 */
public final class FixturePackages {

    /** The Verdaccio user that publishes the fixtures. */
    public static final String PUBLISHER = "fixture-publisher";
    /** Its password. */
    public static final String PUBLISHER_PASSWORD = "fixture-publisher-secret";

    private static final String VERSION_PLACEHOLDER = "\"@VERSION@\"";

    private static final List<FixturePackage> CATALOG = List.of(
            new FixturePackage("fixture-util",
                    List.of(latest("1.0.0"), latest("1.1.0"), latest("2.0.0")),
                    Map.of("1.0.0", "fixture-util 1.0.0 is deprecated: use 1.1.0 or later")),
            new FixturePackage("@fixture/app-lib", List.of(latest("1.0.0")), Map.of()),
            new FixturePackage("fixture-optional", List.of(latest("1.0.0")), Map.of()),
            new FixturePackage("fixture-native-aix", List.of(latest("1.0.0")), Map.of()),
            new FixturePackage("fixture-cli", List.of(latest("1.0.0")), Map.of()),
            new FixturePackage("@fixture/plugin", List.of(latest("1.0.0")), Map.of()),
            new FixturePackage("@fixture/edge",
                    List.of(latest("1.0.0"), new Release("2.0.0-beta.1", "next")), Map.of()));

    private FixturePackages() {
    }

    /** Every fixture package. */
    public static List<FixturePackage> catalog() {
        return CATALOG;
    }

    /** The fixture package called {@code name}. */
    public static FixturePackage named(String name) {
        return CATALOG.stream().filter(fixture -> fixture.name().equals(name)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("no fixture package " + name));
    }

    /**
     * Creates the {@link #PUBLISHER} user on {@code verdaccio} and publishes every release of every fixture
     * package, then applies the deprecations. Packages are published in parallel, the releases of one
     * package in order (so {@code latest} ends where the catalog says). Staging copies and npm's state go
     * under {@code workDir}.
     *
     * @return the publisher's token, e.g. for reads from a Verdaccio that requires authentication
     */
    public static String publishAll(VerdaccioUpstream verdaccio, Path workDir) {
        return publish(verdaccio, workDir, CATALOG);
    }

    /** Like {@link #publishAll}, for some of the packages only, e.g. one to read back through an auth check. */
    public static String publish(VerdaccioUpstream verdaccio, Path workDir, List<FixturePackage> packages) {
        String token = verdaccio.addUser(PUBLISHER, PUBLISHER_PASSWORD);
        NpmCli npm = NpmCli.machine(workDir.resolve("npm"))
                .registry(verdaccio.url())
                .authToken(verdaccio.url(), token);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, packages.size()));
        try {
            List<Future<?>> publications = new ArrayList<>();
            for (FixturePackage fixture : packages) {
                publications.add(pool.submit(() -> publishReleases(fixture, npm, workDir.resolve("staging"))));
            }
            for (Future<?> publication : publications) {
                publication.get();
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing fixtures", e);
        } finally {
            pool.shutdownNow();
        }
        return token;
    }

    private static void publishReleases(FixturePackage fixture, NpmCli npm, Path stagingRoot) {
        for (Release release : fixture.releases()) {
            Path staged = stage(fixture, release.version(), stagingRoot);
            // --access public: npm treats scoped packages as restricted unless told otherwise.
            npm.runSuccessfully(staged, "publish", staged.toString(), "--tag", release.tag(), "--access", "public");
        }
        fixture.deprecations().forEach((version, message) ->
                npm.runSuccessfully(stagingRoot, "deprecate", fixture.name() + "@" + version, message));
    }

    /** Copies the template to its own directory and stamps {@code version} into its package.json. */
    private static Path stage(FixturePackage fixture, String version, Path stagingRoot) {
        Path dir = stagingRoot.resolve(fixture.name().replace("@", "").replace('/', '+') + "-" + version);
        TestFiles.copyResourceTree(fixture.templateResource(), dir);
        Path manifest = dir.resolve("package.json");
        try {
            String text = Files.readString(manifest);
            if (!text.contains(VERSION_PLACEHOLDER)) {
                throw new IllegalStateException(fixture.templateResource() + "/package.json has no "
                        + VERSION_PLACEHOLDER + " version to stamp");
            }
            Files.writeString(manifest, text.replace(VERSION_PLACEHOLDER, "\"" + version + "\""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static Release latest(String version) {
        return new Release(version, FixturePackage.LATEST);
    }
}
