package io.npmgateway.logging;

import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Writes the access log (one line per request, see {@code RequestObserver}) to standard output from a background
 * thread, many lines per system call. A console appender makes one {@code write} per line on the event loop that
 * answered the request; at tens of thousands of requests a second that system call costs as much as serving a small
 * tarball. Here the event loop formats the line and queues it; the writer takes whatever has queued up since its last
 * write and writes it at once, so a busy gateway writes in large batches.
 *
 * <p>The request thread never wakes the writer: on a gateway given one core, a wake-up per line is a context switch
 * per request, which cost more than the system call it saved. The writer looks for lines every
 * {@value #IDLE_PARK_MILLIS} ms when there were none, so a line appears within that long.
 *
 * <p>No line is dropped: when the queue is full (the output cannot keep up), the request thread wakes the writer and
 * waits. Lines are
 * written whole, so they interleave cleanly with other loggers' lines on the same stream. {@link #stop()} (logback's
 * shutdown hook) writes what is queued.
 */
public final class BatchingStdoutAppender<E> extends UnsynchronizedAppenderBase<E> {
    private static final byte[] STOP = new byte[0];
    static final long IDLE_PARK_MILLIS = 20;

    private Encoder<E> encoder;
    private int queueSize = 8192;
    private BlockingQueue<byte[]> queue;
    private Thread writer;
    private OutputStream out;

    public void setEncoder(Encoder<E> encoder) {
        this.encoder = encoder;
    }

    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("no encoder set for the appender named [" + name + "]");
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
        writer = new Thread(this::drain, "npm-gateway-access-log");
        writer.setDaemon(true);
        writer.start();
        super.start();
    }

    @Override
    protected void append(E event) {
        byte[] line = encoder.encode(event);
        if (queue.offer(line)) {
            return;
        }
        java.util.concurrent.locks.LockSupport.unpark(writer);
        try {
            queue.put(line);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drain() {
        try {
            while (true) {
                byte[] line = queue.poll();
                if (line == null) {
                    java.util.concurrent.locks.LockSupport.parkNanos(IDLE_PARK_MILLIS * 1_000_000L);
                    continue;
                }
                do {
                    if (line == STOP) {
                        out.flush();
                        return;
                    }
                    out.write(line);
                } while ((line = queue.poll()) != null);
                out.flush();
            }
        } catch (IOException e) {
            addError("the access log could not be written to standard output", e);
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        try {
            queue.put(STOP);
            java.util.concurrent.locks.LockSupport.unpark(writer);
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
