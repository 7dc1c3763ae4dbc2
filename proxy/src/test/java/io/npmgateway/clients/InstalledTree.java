package io.npmgateway.clients;

import io.npmgateway.testing.ExpectedPackage;
import io.npmgateway.testing.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds installed packages the way Node's {@code require} does, so one check fits every layout: npm's and
 * Yarn's hoisted trees, where a nested copy sits in its dependent's own {@code node_modules}, and pnpm's
 * symlinked {@code .pnpm} store, where it sits next to the dependent's real directory.
 */
final class InstalledTree {

    private static final String NODE_MODULES = "node_modules/";

    private InstalledTree() {
    }

    /**
     * The directory {@code want} is installed in, following its npm path: {@code node_modules/a/node_modules/b}
     * is "b as {@code a} resolves it", looked up from {@code a}'s real (symlink-resolved) directory upwards.
     */
    static Optional<Path> locate(Path project, ExpectedPackage want) {
        String[] names = want.npmPath().substring(NODE_MODULES.length()).split("/" + NODE_MODULES);
        if (names.length == 1 && !directDependencies(project).contains(names[0])) {
            // A dependency of a dependency that npm hoisted: pnpm keeps it next to its dependent only.
            for (String direct : directDependencies(project)) {
                Optional<Path> found = resolve(project, direct).flatMap(dir -> resolve(realPath(dir), names[0]));
                if (found.isPresent()) {
                    return found;
                }
            }
            return Optional.empty();
        }
        Path from = project;
        Path found = null;
        for (String name : names) {
            found = resolve(from, name).orElse(null);
            if (found == null) {
                return Optional.empty();
            }
            from = realPath(found);
        }
        return Optional.ofNullable(found);
    }

    @SuppressWarnings("unchecked")
    private static java.util.Set<String> directDependencies(Path project) {
        Object deps = Json.readObject(project.resolve("package.json")).get("dependencies");
        return deps == null ? java.util.Set.of() : ((java.util.Map<String, Object>) deps).keySet();
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The installed version at {@code dir}, from its package.json. */
    static String version(Path dir) {
        return (String) Json.readObject(dir.resolve("package.json")).get("version");
    }

    private static Optional<Path> resolve(Path from, String name) {
        for (Path dir = from; dir != null; dir = dir.getParent()) {
            if (dir.getFileName() != null && dir.getFileName().toString().equals("node_modules")) {
                continue;
            }
            Path candidate = dir.resolve("node_modules").resolve(name);
            if (Files.isRegularFile(candidate.resolve("package.json"))) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
