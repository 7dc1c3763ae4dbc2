package io.npmgateway.tarball;

import io.npmgateway.storage.CommitResult;
import io.npmgateway.storage.ExpectedIntegrity;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballStore;
import io.npmgateway.storage.TarballWriter;
import io.npmgateway.upstream.StreamConsumer;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamException;
import io.npmgateway.upstream.UpstreamFailure;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream fetch of one tarball, shared by every client that asks for it while it runs. Bytes go from the
 * upstream socket into the store's {@link TarballWriter} (which hashes them) at the pace the disk takes them;
 * each client streams the chunks already written, at its own pace, from the store: a slow client holds no heap
 * and does not slow the others. The tarball becomes visible in the store only if it arrived whole and matches
 * the packument's integrity; otherwise nothing is kept and every streaming client is cut off.
 */
public final class TarballDownload {
    private final String key;
    private final String subject;
    private final Upstream upstream;
    private final URI url;
    private final ExpectedIntegrity expected;
    private final TarballStore store;
    private final SerialExecutor writes;
    private final Runnable onFinished;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> readable = new CompletableFuture<>();
    private final CompletableFuture<TarballManifest> committed = new CompletableFuture<>();
    private final AtomicInteger pendingWrites = new AtomicInteger();

    private TarballWriter writer;
    private volatile long declaredLength = -1;
    private volatile int chunksWritten;
    private volatile boolean notFound;

    TarballDownload(String key, String subject, Upstream upstream, URI url, ExpectedIntegrity expected,
            TarballStore store, Executor storagePool, Runnable onFinished) {
        this.key = key;
        this.subject = subject;
        this.upstream = upstream;
        this.url = url;
        this.expected = expected;
        this.store = store;
        this.writes = new SerialExecutor(storagePool);
        this.onFinished = onFinished;
    }

    void start() {
        writer = store.begin(key, upstream.id());
        upstream.fetchTarball(url, new Consumer());
    }

    /** Name and version, for messages. */
    public String subject() {
        return subject;
    }

    public String upstreamId() {
        return upstream.id();
    }

    /**
     * Completes when a client can start: the first chunk is on disk, or the download already ended (committed, or
     * failed: then exceptionally, so the client gets a clean error before any byte).
     */
    public CompletableFuture<Void> readable() {
        return readable;
    }

    /** Completes with the manifest once the tarball is stored, or exceptionally when it never will be. */
    public CompletableFuture<TarballManifest> committed() {
        return committed;
    }

    /** The length the upstream declared, or -1. */
    public long declaredLength() {
        return declaredLength;
    }

    /** Chunks on disk so far; chunk {@code i < chunksWritten()} can be read with {@link #readChunk(int)}. */
    public int chunksWritten() {
        return chunksWritten;
    }

    public boolean upstreamSaidNotFound() {
        return notFound;
    }

    /** Bytes in every chunk but the last. */
    public int chunkSize() {
        return writer.chunkSize();
    }

    /** Reads a chunk already written, from the store (never from memory). */
    public byte[] readChunk(int index) {
        return writer.readChunk(index);
    }

    /** Runs {@code listener} after each chunk lands and when the download ends. */
    public void onProgress(Runnable listener) {
        listeners.add(listener);
    }

    public void removeProgressListener(Runnable listener) {
        listeners.remove(listener);
    }

    private void progress() {
        for (Runnable l : listeners) {
            l.run();
        }
    }

    private void fail(UpstreamException error) {
        writes.execute(() -> {
            if (committed.isDone()) {
                return;
            }
            failNow(error);
        });
    }

    /**
     * Ends the download as failed (inside a write task). The service forgets it before anyone hears of the failure,
     * so a client that gets the error and asks again starts a new download instead of joining this dead one.
     */
    private void failNow(RuntimeException error) {
        try {
            writer.abort();
        } catch (RuntimeException e) {
            // Deleting the partial chunks is itself a write and fails on a full disk; the pending-download
            // journal still names them, so the next open deletes them. The clients must hear of the failure.
            error.addSuppressed(e);
        }
        onFinished.run();
        readable.completeExceptionally(error);
        committed.completeExceptionally(error);
        progress();
    }

    private final class Consumer implements StreamConsumer {
        private StreamControl control;

        @Override
        public void onResponse(int status, long contentLength, StreamControl control) {
            this.control = control;
            if (status == 200) {
                declaredLength = contentLength;
                control.request();
                return;
            }
            control.cancel();
            if (status == 404 || status == 410) {
                notFound = true;
                fail(new UpstreamException(upstream.id(), UpstreamFailure.STATUS_4XX,
                        "HTTP " + status + " for the tarball of " + subject));
            } else {
                fail(upstream.statusFailure(status, url, false));
            }
        }

        @Override
        public void onData(ByteBuffer data) {
            byte[] copy = new byte[data.remaining()];
            data.get(copy);
            pendingWrites.incrementAndGet();
            writes.execute(() -> {
                if (committed.isDone()) {
                    return;
                }
                try {
                    writer.append(copy, 0, copy.length);
                } catch (RuntimeException e) {
                    control.cancel();
                    failNow(new TarballNotStoredException(subject, e));
                    return;
                }
                int written = writer.chunksWritten();
                if (written != chunksWritten) {
                    chunksWritten = written;
                    readable.complete(null);
                    progress();
                }
                if (pendingWrites.decrementAndGet() == 0) {
                    // Read the next piece only when the disk has taken this one: backpressure to the socket.
                    control.request();
                }
            });
        }

        @Override
        public void onComplete() {
            writes.execute(() -> {
                if (committed.isDone()) {
                    return;
                }
                CommitResult result;
                try {
                    result = writer.commit(expected);
                } catch (RuntimeException e) {
                    failNow(new TarballNotStoredException(subject, e));
                    return;
                }
                if (result instanceof CommitResult.Committed) {
                    TarballManifest manifest = ((CommitResult.Committed) result).manifest();
                    chunksWritten = manifest.chunkCount();
                    committed.complete(manifest);
                    readable.complete(null);
                    onFinished.run();
                    progress();
                } else {
                    CommitResult.IntegrityMismatch m = (CommitResult.IntegrityMismatch) result;
                    failNow(new UpstreamException(upstream.id(), UpstreamFailure.INTEGRITY,
                            subject + " expected " + m.expected() + " but received " + m.actual()));
                }
            });
        }

        @Override
        public void onError(UpstreamException error) {
            fail(error);
        }
    }
}
