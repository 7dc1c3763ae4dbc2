package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;

/**
 * A large body held on the heap (a version manifest of a package with a huge readme, say) as a sequence of pooled
 * off-heap chunks, handed to the socket only as fast as the client reads. Written whole, the body would be copied at
 * once into one off-heap buffer of its full size per response, and tens of clients could exhaust direct memory.
 * Cached packuments do not come here: they are sent from their own off-heap copies ({@link Exchange#shared}).
 */
final class ByteArrayInput implements ChunkedInput<ByteBuf> {
    static final int CHUNK = 64 * 1024;

    private final byte[] body;
    private int offset;

    ByteArrayInput(byte[] body) {
        this.body = body;
    }

    @Override
    public boolean isEndOfInput() {
        return offset >= body.length;
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
        int length = Math.min(CHUNK, body.length - offset);
        ByteBuf chunk = allocator.directBuffer(length, length);
        chunk.writeBytes(body, offset, length);
        offset += length;
        return chunk;
    }

    @Override
    public long length() {
        return body.length;
    }

    @Override
    public long progress() {
        return offset;
    }
}
