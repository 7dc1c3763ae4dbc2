package io.npmgateway.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Starts the external processes of the test harness and stops them with everything they spawned.
 *
 * <p>Every process started here is also killed when the JVM exits normally (a shutdown hook), so a test
 * that forgets {@code close()} or a run interrupted with Ctrl-C leaves no Verdaccio holding a port.
 */
final class ChildProcesses {

    /** How long a process gets to exit after SIGTERM before it gets SIGKILL. */
    static final Duration GRACE = Duration.ofSeconds(10);

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::killAll, "test-child-process-reaper"));
    }

    private ChildProcesses() {
    }

    static Process start(ProcessBuilder builder) throws IOException {
        Process process = builder.start();
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
        return process;
    }

    /**
     * Stops {@code process} and its descendants and waits until all of them are gone: SIGTERM first so a
     * server can let go of its port cleanly, SIGKILL after {@link #GRACE}.
     */
    static void stopTree(Process process) {
        // Collected before the parent dies: afterwards its children are re-parented and out of reach.
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().collect(Collectors.toList()));
        tree.add(0, process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + GRACE.toNanos();
        for (ProcessHandle handle : tree) {
            if (!waitFor(handle, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                handle.destroyForcibly();
            }
        }
        for (ProcessHandle handle : tree) {
            if (!waitFor(handle, GRACE)) {
                throw new IllegalStateException("process " + handle.pid() + " survived SIGKILL");
            }
        }
    }

    private static boolean waitFor(ProcessHandle handle, Duration timeout) {
        if (!handle.isAlive()) {
            return true;
        }
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    private static void killAll() {
        for (Process process : LIVE) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
