package io.npmgateway.testing;

import io.npmgateway.upstream.credentials.RenewalScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RenewalScheduler} driven by the test: tasks are recorded with the time they are due on a
 * {@link ManualClock}, and run only when the test says, on the test's thread.
 */
public final class ManualScheduler implements RenewalScheduler {
    private final Clock clock;
    private final List<Task> tasks = new ArrayList<>();
    private boolean closed;

    public ManualScheduler(Clock clock) {
        this.clock = clock;
    }

    /** A recorded task. */
    public static final class Task {
        final Instant due;
        final Runnable body;
        boolean cancelled;

        Task(Instant due, Runnable body) {
            this.due = due;
            this.body = body;
        }

        public Instant due() {
            return due;
        }
    }

    @Override
    public synchronized Scheduled schedule(Duration delay, Runnable task) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        Task t = new Task(clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay), task);
        tasks.add(t);
        return () -> {
            synchronized (ManualScheduler.this) {
                t.cancelled = true;
            }
        };
    }

    /** Tasks not yet run or cancelled, in the order they were scheduled. */
    public synchronized List<Task> pending() {
        return tasks.stream().filter(t -> !t.cancelled).toList();
    }

    /** Runs every task due by the clock's now (including tasks those tasks schedule, if due), in due order. */
    public void runDue() {
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.stream().filter(t -> !t.cancelled && !t.due.isAfter(clock.instant()))
                        .min((a, b) -> a.due.compareTo(b.due)).orElse(null);
                if (next == null) {
                    return;
                }
                tasks.remove(next);
            }
            next.body.run();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
