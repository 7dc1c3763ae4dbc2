package io.npmgateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File chores of the harness: copying fixture trees out of the test classpath, deleting work directories. */
public final class TestFiles {

    private TestFiles() {
    }

    /**
     * Copies the classpath directory {@code resource} (e.g. {@code fixtures/packages/fixture-util}) to
     * {@code target}. The test classes must be a directory, as they are under surefire and in IDEs.
     */
    static void copyResourceTree(String resource, Path target) {
        URL url = TestFiles.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("no classpath resource " + resource);
        }
        if (!"file".equals(url.getProtocol())) {
            throw new IllegalStateException("fixture " + resource + " is not a plain directory: " + url);
        }
        try {
            copyTree(Path.of(url.toURI()), target);
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy " + resource + " to " + target, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes {@code dir} and everything under it; a missing directory is fine. */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }

    private static void copyTree(Path source, Path target) throws IOException {
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(path, destination);
                }
            }
        }
    }
}
