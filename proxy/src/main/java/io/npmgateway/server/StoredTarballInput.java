package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballStore;

/** A stored tarball as a sequence of chunks read from the store one at a time, when the socket can take one. */
final class StoredTarballInput implements ChunkedInput<ByteBuf> {
    private final TarballStore store;
    private final TarballManifest manifest;
    private int next;
    private long sent;

    StoredTarballInput(TarballStore store, TarballManifest manifest) {
        this.store = store;
        this.manifest = manifest;
    }

    @Override
    public boolean isEndOfInput() {
        return next >= manifest.chunkCount();
    }

    @Override
    public void close() {
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) {
        if (isEndOfInput()) {
            return null;
        }
        // RocksDB copies the chunk straight into a pooled off-heap buffer, which the socket write then uses as is:
        // one copy, no heap array (a heap buffer would be copied again into a direct one by the transport).
        int length = manifest.chunkLength(next);
        ByteBuf chunk = allocator.directBuffer(length, length);
        try {
            store.readChunk(manifest, next, chunk.internalNioBuffer(0, length));
            chunk.writerIndex(length);
        } catch (RuntimeException e) {
            chunk.release();
            throw e;
        }
        next++;
        sent += length;
        return chunk;
    }

    @Override
    public long length() {
        return manifest.size();
    }

    @Override
    public long progress() {
        return sent;
    }
}
