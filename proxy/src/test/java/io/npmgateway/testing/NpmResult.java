package io.npmgateway.testing;

import java.nio.file.Path;
import java.util.List;

/**
 * What one run of a package-manager client did: its exit code and everything it printed.
 *
 * @param command  the command line, program first
 * @param workDir  the directory it ran in
 * @param exitCode the exit code; -1 when it was killed for running past its timeout
 * @param stdout   standard output
 * @param stderr   standard error
 * @param timedOut whether it was killed for running past its timeout
 */
public record NpmResult(List<String> command, Path workDir, int exitCode, String stdout, String stderr,
                        boolean timedOut) {

    /** Whether it exited with 0 in time. */
    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }

    /**
     * Returns this result if the run succeeded.
     *
     * @throws AssertionError carrying the command and its whole output otherwise
     */
    public NpmResult assertSuccess() {
        if (!succeeded()) {
            throw new AssertionError("expected success but " + describe());
        }
        return this;
    }

    /**
     * Returns this result if the run failed (exited non-zero in time).
     *
     * @throws AssertionError carrying the command and its whole output otherwise
     */
    public NpmResult assertFailure() {
        if (succeeded() || timedOut) {
            throw new AssertionError("expected a failure but " + describe());
        }
        return this;
    }

    /** A multi-line account of the run, for failure messages. */
    public String describe() {
        String outcome = timedOut ? "timed out and was killed" : "exited with " + exitCode;
        return String.join(" ", command) + " (in " + workDir + ") " + outcome
                + "\n--- stdout ---\n" + stdout
                + "\n--- stderr ---\n" + stderr;
    }
}
