package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.npmgateway.metrics.CacheOutcome;
import io.npmgateway.metrics.Route;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.tarball.TarballDownload;
import io.npmgateway.tarball.TarballService;
import io.npmgateway.tarball.TarballSource;
import io.npmgateway.upstream.UpstreamException;
import java.nio.channels.FileChannel;

/**
 * The tarball route: streams a stored tarball chunk by chunk from the store, or a download in progress as its
 * chunks land, in both cases only as fast as the client reads (the {@link ChunkedWriteHandler} in the
 * pipeline asks for the next chunk when the socket can take it). A stored tarball that has a copy in the
 * {@link io.npmgateway.tarball.TarballFileCache} is handed to the kernel as a file region instead. Bytes are sent
 * exactly as stored, never with a {@code Content-Encoding}.
 */
final class TarballRoute {
    private static final String IMMUTABLE = "public, immutable, max-age=31536000";

    private final TarballService service;

    TarballRoute(TarballService service) {
        this.service = service;
    }

    void serve(Exchange ex, RegistryRequest.Tarball request) {
        String subject = request.name() + "/-/" + request.fileName();
        ex.describe(Route.TARBALL, CacheOutcome.NONE, null);
        service.open(request).whenComplete((source, error) -> {
            if (error != null) {
                Failures.respond(ex, error, subject);
            } else if (source instanceof TarballSource.Stored) {
                TarballManifest manifest = ((TarballSource.Stored) source).manifest();
                ex.describe(Route.TARBALL, CacheOutcome.HIT, manifest.origin());
                ex.download(request.name().toString(), manifest.origin());
                sendStored(ex, manifest, "hit");
            } else if (source instanceof TarballSource.NotFound) {
                ex.error(HttpResponseStatus.NOT_FOUND, ((TarballSource.NotFound) source).message());
            } else {
                TarballDownload download = ((TarballSource.Downloading) source).download();
                ex.describe(Route.TARBALL, CacheOutcome.MISS, download.upstreamId());
                ex.download(request.name().toString(), download.upstreamId());
                sendDownloading(ex, download, subject);
            }
        });
    }

    private void sendStored(Exchange ex, TarballManifest manifest, String outcome) {
        HttpHeaders headers = headers(outcome);
        headers.set(HttpHeaderNames.ETAG, "\"" + manifest.sha1() + "\"");
        if (EntityTags.matches(ex.header(HttpHeaderNames.IF_NONE_MATCH), "\"" + manifest.sha1() + "\"")) {
            ex.empty(HttpResponseStatus.NOT_MODIFIED, headers);
            return;
        }
        // Only a tarball asked for again after it was stored is worth a file copy to send with sendfile.
        FileChannel file = outcome.equals("hit") ? service.files().open(manifest) : null;
        if (file != null) {
            ex.file(HttpResponseStatus.OK, headers, file, manifest.size());
            return;
        }
        if (manifest.chunkCount() <= 1) {
            // Most tarballs are one chunk: read it straight into a pooled direct buffer and send one message.
            ByteBuf body = ex.context().alloc().directBuffer((int) manifest.size());
            try {
                if (manifest.chunkCount() == 1) {
                    service.store().readChunk(manifest, 0, body.nioBuffer(0, (int) manifest.size()));
                    body.writerIndex((int) manifest.size());
                }
            } catch (RuntimeException e) {
                body.release();
                throw e;
            }
            ex.buffer(HttpResponseStatus.OK, headers, body);
            return;
        }
        if (!ex.startStream(HttpResponseStatus.OK, headers, manifest.size())) {
            return;
        }
        if (ex.isHead()) {
            ex.endStreamEmpty();
            return;
        }
        ChannelFuture done = ex.context().writeAndFlush(new HttpChunkedInput(
                new StoredTarballInput(service.store(), manifest)));
        ex.endStream(done);
    }

    private void sendDownloading(Exchange ex, TarballDownload download, String subject) {
        download.readable().whenComplete((ignored, error) -> {
            if (error != null) {
                Throwable cause = Failures.unwrap(error);
                if (cause instanceof UpstreamException && download.upstreamSaidNotFound()) {
                    ex.error(HttpResponseStatus.NOT_FOUND, "upstream '" + download.upstreamId()
                            + "' has no tarball for " + download.subject());
                } else {
                    Failures.respond(ex, cause, download.subject());
                }
                return;
            }
            if (download.committed().isCompletedExceptionally()) {
                // The download failed after its first chunk landed but before this client joined: it has had no
                // byte yet, so it gets the error (getNow would throw here and leave the request unanswered).
                download.committed().exceptionally(e -> {
                    Failures.respond(ex, e, download.subject());
                    return null;
                });
                return;
            }
            TarballManifest manifest = download.committed().getNow(null);
            if (manifest != null) {
                sendStored(ex, manifest, "miss");
                return;
            }
            if (!ex.startStream(HttpResponseStatus.OK, headers("miss"), download.declaredLength())) {
                return;
            }
            if (ex.isHead()) {
                ex.endStreamEmpty();
                return;
            }
            ChunkedWriteHandler writer = ex.context().pipeline().get(ChunkedWriteHandler.class);
            DownloadingTarballInput input = new DownloadingTarballInput(service.store(), download,
                    writer::resumeTransfer);
            ChannelFuture done = ex.context().writeAndFlush(new HttpChunkedInput(input));
            done.addListener(f -> {
                input.close();
                if (!f.isSuccess()) {
                    // The upstream failed or the bytes did not verify mid-body: cut the connection so the
                    // client sees a truncated response and retries, instead of trusting a short one.
                    ex.abort();
                }
            });
            ex.endStream(done);
        });
    }

    private static HttpHeaders headers(String outcome) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
        headers.set(HttpHeaderNames.CACHE_CONTROL, IMMUTABLE);
        headers.set(PackumentRoutes.CACHE_HEADER, outcome);
        return headers;
    }
}
