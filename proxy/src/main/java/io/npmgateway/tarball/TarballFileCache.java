package io.npmgateway.tarball;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.npmgateway.storage.StoreException;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies of the tarballs clients keep asking for, as plain files beside the store, so that the server can hand a
 * whole response to the kernel ({@code sendfile}): no copy through the gateway's memory, which is where serving a
 * stored tarball spends most of its time. It sits on the tarball hit path, after the store has found the
 * tarball's manifest: {@link #open} gives the copy of exactly that stored tarball, or nothing, in which case the
 * response is read from the store as before and a copy is made in the background.
 *
 * <p>The store stays the record: a copy is named by the stored tarball's download id (new for every download, so a
 * tarball purged and fetched again never matches an old copy), is written from bytes the store already verified,
 * and is only served to a request that found that very manifest in the store. The copies are a cache: bounded by
 * {@code storage.fileCache} bytes (least recently and least often used ones deleted first), deleted whenever the
 * gateway starts, and never needed. A copy that cannot be made (a full disk) only means the store keeps serving.
 *
 * <p>Only tarballs from {@link #MIN_SIZE} to {@link #MAX_SIZE} are copied. Smaller ones cost less to copy once than
 * to open as a file. Larger ones went faster through the store on loopback (measured with {@code bench/compare}:
 * a 319 KB tarball 1.9 times as many requests a second from its file, a 4.2 MB one 0.65 times), as they do
 * through nginx's own {@code sendfile}.
 */
public final class TarballFileCache implements AutoCloseable {
    /** Smaller tarballs are sent from memory. */
    public static final long MIN_SIZE = 64 * 1024;
    /** Larger tarballs are streamed from the store. */
    public static final long MAX_SIZE = 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(TarballFileCache.class);
    private static final String PARTIAL = ".partial";

    private final TarballStore store;
    private final Path dir;
    private final long maxBytes;
    private final ExecutorService writer;
    private final Cache<Long, Long> copies;
    private final Set<Long> copying = ConcurrentHashMap.newKeySet();
    private volatile boolean warnedWriteFailure;

    private TarballFileCache(TarballStore store, Path dir, long maxBytes) {
        this.store = store;
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "npm-gateway-tarball-files");
            t.setDaemon(true);
            return t;
        });
        this.copies = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Long id, Long size) -> (int) Math.min(Integer.MAX_VALUE, size))
                .executor(writer)
                .removalListener((Long id, Long size, RemovalCause cause) -> delete(file(id)))
                .build();
    }

    /**
     * Opens the cache in {@code dir}, deleting whatever an earlier run left there.
     *
     * @param maxBytes the most the copies may take on disk; 0 disables the cache
     */
    public static TarballFileCache open(TarballStore store, Path dir, long maxBytes) {
        if (maxBytes > 0) {
            try {
                clear(dir);
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new StoreException("cannot prepare the tarball file cache in " + dir + ": " + e.getMessage(), e);
            }
        }
        return new TarballFileCache(store, dir, maxBytes);
    }

    /**
     * An open channel on the copy of this stored tarball, which the caller closes (sending it as a file region
     * does); or null when there is no copy yet, after starting one in the background.
     */
    public FileChannel open(TarballManifest manifest) {
        if (maxBytes == 0 || manifest.size() < MIN_SIZE || manifest.size() > Math.min(MAX_SIZE, maxBytes)) {
            return null;
        }
        long id = manifest.downloadId();
        if (copies.getIfPresent(id) != null) {
            try {
                return FileChannel.open(file(id), StandardOpenOption.READ);
            } catch (IOException e) {
                // Deleted under us (an eviction this very moment): the store serves this one.
                copies.invalidate(id);
                return null;
            }
        }
        if (copying.add(id)) {
            try {
                writer.execute(() -> copy(manifest));
            } catch (RejectedExecutionException closing) {
                copying.remove(id);
            }
        }
        return null;
    }

    /**
     * Completes once the copies started so far have ended and the copies evicted so far are deleted: for a caller
     * that must see the cache settled (a test, a benchmark's warm-up).
     */
    public CompletableFuture<Void> settled() {
        return CompletableFuture.runAsync(copies::cleanUp, writer)
                .thenRunAsync(() -> { }, writer);
    }

    /** Bytes the copies take on disk. */
    public long bytes() {
        return copies.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    private void copy(TarballManifest manifest) {
        long id = manifest.downloadId();
        Path partial = dir.resolve(Long.toHexString(id) + PARTIAL);
        try {
            try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer chunk = ByteBuffer.allocateDirect(manifest.chunkSize());
                for (int i = 0; i < manifest.chunkCount(); i++) {
                    chunk.clear();
                    store.readChunk(manifest, i, chunk);
                    chunk.flip();
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                }
            }
            Files.move(partial, file(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            copies.put(id, manifest.size());
        } catch (IOException | RuntimeException e) {
            // Evicted or purged meanwhile, or the disk is full: the store keeps serving it.
            delete(partial);
            if (!warnedWriteFailure && e instanceof IOException) {
                warnedWriteFailure = true;
                LOG.warn("could not copy a tarball into the file cache in {} (served from the store instead; said"
                        + " once): {}", dir, e.toString());
            }
        } finally {
            copying.remove(id);
        }
    }

    private Path file(long id) {
        return dir.resolve(Long.toHexString(id));
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", file, e.toString());
        }
    }

    private static void clear(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Stops copying; the copies stay until the next start deletes them. */
    @Override
    public void close() {
        writer.shutdownNow();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
