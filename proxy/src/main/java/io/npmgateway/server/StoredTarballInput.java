package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
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
        byte[] chunk = store.readChunk(manifest, next++);
        sent += chunk.length;
        return Unpooled.wrappedBuffer(chunk);
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
