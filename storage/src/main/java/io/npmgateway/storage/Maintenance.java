package io.npmgateway.storage;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one background thread: flushes recorded access times and evicts to the disk budget, off the request
 * path. A single daemon thread means these jobs never run concurrently with each other and never keep the JVM alive.
 */
final class Maintenance implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    private final ScheduledExecutorService executor;

    Maintenance(String threadName) {
        this.executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Runs {@code task} every {@code period}; a failure is logged and the next run still happens. */
    void every(Duration period, String name, Runnable task) {
        long millis = period.toMillis();
        executor.scheduleWithFixedDelay(guarded(name, task), millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * A trigger that queues {@code task} at most once at a time, however often it is pulled: a burst of commits over
     * budget costs one eviction pass, not one per commit.
     */
    Runnable coalescing(String name, Runnable task) {
        AtomicBoolean queued = new AtomicBoolean();
        Runnable guardedTask = guarded(name, task);
        return () -> {
            if (queued.compareAndSet(false, true)) {
                try {
                    executor.execute(() -> {
                        // Cleared before running, so work arriving during the run queues another pass.
                        queued.set(false);
                        guardedTask.run();
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // Shutting down: the next open re-checks the budget.
                    queued.set(false);
                }
            }
        };
    }

    /** Waits until every job queued before this call has finished. For tests and orderly shutdown. */
    void awaitQueued() {
        try {
            executor.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for store maintenance", e);
        } catch (ExecutionException e) {
            throw new StoreException("store maintenance failed", e.getCause());
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            // An eviction pass in progress finishes its current tarball quickly; don't hang shutdown on a slow disk.
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("store maintenance did not stop within 30 s; closing the store anyway");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static Runnable guarded(String name, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.warn("store maintenance job '{}' failed: {}", name, e.toString(), e);
            }
        };
    }
}
