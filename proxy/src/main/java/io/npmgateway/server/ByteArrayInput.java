package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;

/**
 * A large cached body (a packument of megabytes) as a sequence of pooled off-heap chunks, handed to the socket only
 * as fast as the client reads. Written whole, the body would be copied at once into one off-heap buffer of its full
 * size per response — tens of clients fetching a 10 MB document would exhaust direct memory.
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
