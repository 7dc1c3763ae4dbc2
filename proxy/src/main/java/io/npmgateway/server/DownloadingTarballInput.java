package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballStore;
import io.npmgateway.tarball.TarballDownload;
import java.io.IOException;

/**
 * A tarball still arriving from upstream, as chunks: returns each chunk once it is on disk, "not yet" (null)
 * when the client has caught up with the download (the download's progress resumes the transfer), and fails when
 * the download fails, which ends the response by closing the connection.
 */
final class DownloadingTarballInput implements ChunkedInput<ByteBuf> {
    private final TarballStore store;
    private final TarballDownload download;
    private final Runnable listener;
    private int next;
    private long sent;

    DownloadingTarballInput(TarballStore store, TarballDownload download, Runnable resume) {
        this.store = store;
        this.download = download;
        this.listener = resume;
        download.onProgress(listener);
    }

    @Override
    public boolean isEndOfInput() throws Exception {
        TarballManifest manifest = committedOrThrow();
        return manifest != null && next >= manifest.chunkCount();
    }

    @Override
    public void close() {
        download.removeProgressListener(listener);
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        TarballManifest manifest = committedOrThrow();
        byte[] chunk;
        if (manifest != null) {
            if (next >= manifest.chunkCount()) {
                return null;
            }
            chunk = store.readChunk(manifest, next);
        } else if (next < download.chunksWritten() && !wouldCompleteDeclaredLength()) {
            chunk = download.readChunk(next);
        } else {
            return null;
        }
        next++;
        sent += chunk.length;
        return Unpooled.wrappedBuffer(chunk);
    }

    /**
     * Whether the next chunk would bring the client to the declared Content-Length. That chunk waits for the commit:
     * a client that has every declared byte takes the body as whole, so it must never get them all before the
     * integrity check has passed (when the size is a multiple of the chunk size, the last chunk is on disk before
     * the check runs).
     */
    private boolean wouldCompleteDeclaredLength() {
        long declared = download.declaredLength();
        return declared >= 0 && sent + download.chunkSize() >= declared;
    }

    private TarballManifest committedOrThrow() throws IOException {
        if (download.committed().isCompletedExceptionally()) {
            throw new IOException("download of " + download.subject() + " failed");
        }
        return download.committed().getNow(null);
    }

    @Override
    public long length() {
        return download.declaredLength();
    }

    @Override
    public long progress() {
        return sent;
    }
}
