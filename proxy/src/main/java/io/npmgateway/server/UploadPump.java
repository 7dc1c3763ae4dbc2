package io.npmgateway.server;

import io.npmgateway.npm.TarballUrlReverser;
import io.npmgateway.upstream.BodyUpload;

/**
 * Carries a streamed write body (a publish) from the client to the write target as it arrives: each piece goes
 * through the {@link TarballUrlReverser} (gateway tarball URLs mapped back) into the {@link BodyUpload}; when the
 * upstream connection cannot take more, the client connection stops being read until it can. So neither side is
 * ever read faster than the other takes bytes, and the gateway holds no more than a socket read of the body.
 */
final class UploadPump implements StreamedRequestBody.Subscriber {
    private final StreamedRequestBody body;
    private final BodyUpload upload;
    private final TarballUrlReverser reverser;

    UploadPump(StreamedRequestBody body, BodyUpload upload, String gatewayBase, String upstreamBase) {
        this.body = body;
        this.upload = upload;
        this.reverser = new TarballUrlReverser(gatewayBase, upstreamBase, upload::write);
    }

    @Override
    public void onData(byte[] bytes, int offset, int length) {
        reverser.write(bytes, offset, length);
        if (!upload.writable() && !upload.response().isDone()) {
            body.pause();
            upload.whenWritable(body::resume);
        }
    }

    @Override
    public void onEnd() {
        reverser.finish();
        upload.end();
    }

    @Override
    public void onAbort(String reason) {
        upload.abort();
    }
}
