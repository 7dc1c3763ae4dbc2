package io.npmgateway.upstream.credentials;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the blocking work of refreshed credentials (a token command, an AWS call) off the event loops, now or
 * after a delay. The production one is a single daemon thread per upstream; tests pass one they drive by hand,
 * so renewal is tested without waiting for time to pass.
 */
public interface RenewalScheduler extends AutoCloseable {

    /** Runs {@code task} after {@code delay} (zero or negative: as soon as possible). */
    Scheduled schedule(Duration delay, Runnable task);

    @Override
    void close();

    /** A scheduled task that has not run yet can be cancelled. */
    interface Scheduled {
        void cancel();
    }

    /** One daemon thread named {@code name}. */
    static RenewalScheduler daemonThread(String name) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        return new RenewalScheduler() {
            @Override
            public Scheduled schedule(Duration delay, Runnable task) {
                var future = executor.schedule(task, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
                return () -> future.cancel(false);
            }

            @Override
            public void close() {
                executor.shutdownNow();
            }
        };
    }
}
