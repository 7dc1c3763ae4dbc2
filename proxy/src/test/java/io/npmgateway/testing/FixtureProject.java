package io.npmgateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A consumer project whose install exercises the {@linkplain FixturePackages fixture packages}, with what
 * every install of it must resolve to: the same versions whichever client installs it.
 */
public enum FixtureProject {

    /**
     * Depends on every fixture: two majors of {@code fixture-util} (one nested under
     * {@code @fixture/app-lib}), a peer dependency, an optional dependency installed and one skipped for its
     * platform, a command, and a dist-tag ({@code @fixture/edge@next}) that resolves to a prerelease while
     * {@code latest} is 1.0.0.
     */
    BASIC("basic",
            List.of(
                    new ExpectedPackage("@fixture/app-lib", "1.0.0", "node_modules/@fixture/app-lib", true),
                    new ExpectedPackage("fixture-util", "1.1.0",
                            "node_modules/@fixture/app-lib/node_modules/fixture-util", true),
                    new ExpectedPackage("@fixture/edge", "2.0.0-beta.1", "node_modules/@fixture/edge", true),
                    new ExpectedPackage("@fixture/plugin", "1.0.0", "node_modules/@fixture/plugin", true),
                    new ExpectedPackage("fixture-cli", "1.0.0", "node_modules/fixture-cli", true),
                    new ExpectedPackage("fixture-native-aix", "1.0.0", "node_modules/fixture-native-aix", false),
                    new ExpectedPackage("fixture-optional", "1.0.0", "node_modules/fixture-optional", true),
                    new ExpectedPackage("fixture-util", "2.0.0", "node_modules/fixture-util", true)),
            List.of("fixture-cli"));

    private final String directory;
    private final List<ExpectedPackage> expectedPackages;
    private final List<String> expectedBins;

    FixtureProject(String directory, List<ExpectedPackage> expectedPackages, List<String> expectedBins) {
        this.directory = directory;
        this.expectedPackages = expectedPackages;
        this.expectedBins = expectedBins;
    }

    /**
     * Writes the project (its {@code package.json}, from {@code fixtures/projects/<name>/}) into {@code dir},
     * creating it, and returns {@code dir}.
     */
    public Path copyTo(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestFiles.copyResourceTree("fixtures/projects/" + directory, dir);
        return dir;
    }

    /** Every package an install resolves, nested ones included; nothing else may appear in the lockfile. */
    public List<ExpectedPackage> expectedPackages() {
        return expectedPackages;
    }

    /** The commands an install links into {@code node_modules/.bin}. */
    public List<String> expectedBins() {
        return expectedBins;
    }
}
