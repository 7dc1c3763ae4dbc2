package io.npmgateway.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Finds the real programs the tests drive: the ones {@code tools/install-test-deps.sh} put under
 * {@code <repo>/.tools/} (Verdaccio, pnpm, Yarn, other npm majors) and the machine's own {@code node} and
 * {@code npm}.
 *
 * <p>A missing tool is a failure, never a skip: a suite that silently skips its real-client tests on a
 * machine without the tools would look green while testing nothing.
 */
public final class TestTools {

    /** The system property the build sets (see the parent pom's surefire configuration). */
    public static final String TOOLS_DIR_PROPERTY = "npmgateway.tools.dir";

    private static final String INSTALL_HINT = "run tools/install-test-deps.sh";
    /** Written by the install script only after a tool installed completely. */
    private static final String STAMP_FILE = ".installed";

    /**
     * The tools the install script installs, each in its own prefix {@code .tools/<dir>/}.
     * Mirrors {@code tools/test-deps/clients.txt}; change both together.
     */
    public enum Tool {
        VERDACCIO("verdaccio", "verdaccio"),
        PNPM_9("pnpm9", "pnpm"),
        PNPM_10("pnpm10", "pnpm"),
        YARN_1("yarn1", "yarn"),
        YARN_4("yarn4", "yarn"),
        NPM_10("npm10", "npm"),
        NPM_11("npm11", "npm");

        private final String dir;
        private final String binName;

        Tool(String dir, String binName) {
            this.dir = dir;
            this.binName = binName;
        }

        /** The prefix directory under {@code .tools/}. */
        public String dir() {
            return dir;
        }

        /** The name of the command under {@code node_modules/.bin/}. */
        public String binName() {
            return binName;
        }
    }

    private final Path root;

    private TestTools(Path root) {
        this.root = root;
    }

    /**
     * The tools directory named by {@value #TOOLS_DIR_PROPERTY}; when the property is absent (a test run
     * from an IDE without the surefire configuration), {@code .tools} in the nearest ancestor of the working
     * directory that holds {@code tools/install-test-deps.sh}.
     *
     * @throws IllegalStateException if neither names an existing directory
     */
    public static TestTools locate() {
        String property = System.getProperty(TOOLS_DIR_PROPERTY);
        Path root = property != null && !property.isBlank()
                ? Path.of(property)
                : findRepositoryRoot().map(repo -> repo.resolve(".tools")).orElse(null);
        if (root == null) {
            throw new IllegalStateException("system property " + TOOLS_DIR_PROPERTY
                    + " is not set and no enclosing directory holds tools/install-test-deps.sh; " + INSTALL_HINT);
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("test tools directory " + root.toAbsolutePath() + " does not exist; "
                    + INSTALL_HINT);
        }
        return new TestTools(root.toAbsolutePath().normalize());
    }

    /** The {@code .tools} directory. */
    public Path root() {
        return root;
    }

    /**
     * The executable of {@code tool}, a {@code node_modules/.bin} entry run directly (its shebang picks
     * {@code node} from the PATH).
     *
     * @throws IllegalStateException if the tool is not installed completely
     */
    public Path bin(Tool tool) {
        Path prefix = root.resolve(tool.dir());
        Path bin = prefix.resolve("node_modules").resolve(".bin").resolve(tool.binName());
        if (!Files.isRegularFile(prefix.resolve(STAMP_FILE)) || !Files.isExecutable(bin)) {
            throw new IllegalStateException(tool.name().toLowerCase(Locale.ROOT) + " is not installed in " + prefix
                    + "; " + INSTALL_HINT);
        }
        return bin;
    }

    /**
     * The JavaScript entry point of Verdaccio, to run with {@link #node()} (rather than through its
     * {@code .bin} link) so that a preloaded script can be put in front of it.
     */
    public Path verdaccioScript() {
        Path script = bin(Tool.VERDACCIO).getParent().getParent().resolve("verdaccio").resolve("bin")
                .resolve("verdaccio");
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("Verdaccio's entry point " + script + " is missing; " + INSTALL_HINT);
        }
        return script;
    }

    /** The machine's {@code node}, from the PATH. */
    public static Path node() {
        return onPath("node");
    }

    /** The machine's {@code npm}, from the PATH. */
    public static Path machineNpm() {
        return onPath("npm");
    }

    /**
     * The first executable called {@code name} on the PATH. Resolved here because a child process's own
     * PATH is not what {@link ProcessBuilder} searches.
     *
     * @throws IllegalStateException if there is none
     */
    public static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("'" + name + "' is not on the PATH; the tests need Node 20+ and npm");
    }

    private static Optional<Path> findRepositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("tools").resolve("install-test-deps.sh"))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }
}
