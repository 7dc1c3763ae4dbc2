package io.npmgateway.server;

import java.util.concurrent.TimeUnit;

/**
 * Counts requests being answered, so a graceful shutdown can stop accepting and then wait for the responses
 * already under way (up to a deadline) before it closes the store under them.
 */
public final class InFlight {
    private int active;

    synchronized void started() {
        active++;
    }

    synchronized void finished() {
        active--;
        if (active <= 0) {
            notifyAll();
        }
    }

    public synchronized int active() {
        return active;
    }

    /** Waits until no request is being answered or the timeout passes; returns how many are still active. */
    public synchronized int awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (active > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return active;
    }
}
