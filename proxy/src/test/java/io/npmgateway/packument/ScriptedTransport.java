package io.npmgateway.packument;

import io.npmgateway.upstream.DocumentResponse;
import io.npmgateway.upstream.StreamConsumer;
import io.npmgateway.upstream.UpstreamCall;
import io.npmgateway.upstream.UpstreamException;
import io.npmgateway.upstream.UpstreamFailure;
import io.npmgateway.upstream.UpstreamTransport;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An upstream transport whose answers the test scripts per URL path, recording every call with its headers. A
 * scripted answer may be a future the test completes later, to hold concurrent callers in flight.
 */
final class ScriptedTransport implements UpstreamTransport {
    final List<UpstreamCall> calls = new CopyOnWriteArrayList<>();
    final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
    private final Map<String, Function<UpstreamCall, CompletableFuture<DocumentResponse>>> answers =
            new ConcurrentHashMap<>();

    void answer(String path, Function<UpstreamCall, CompletableFuture<DocumentResponse>> answer) {
        answers.put(path, answer);
    }

    void ok(String path, byte[] body, String etag) {
        answer(path, c -> CompletableFuture.completedFuture(new DocumentResponse(200, etag, null, body)));
    }

    void status(String path, int status) {
        answer(path, c -> CompletableFuture.completedFuture(new DocumentResponse(status, null, null, new byte[0])));
    }

    void refuse(String path) {
        answer(path, c -> CompletableFuture.failedFuture(
                new UpstreamException(c.upstreamId(), UpstreamFailure.CONNECT, "connection refused")));
    }

    long callsTo(String path) {
        return calls.stream().filter(c -> c.uri().getRawPath().equals(path)).count();
    }

    @Override
    public CompletableFuture<DocumentResponse> fetchDocument(UpstreamCall call, long maxBytes) {
        calls.add(call);
        headers.add(call.headers().forUri(call.uri()));
        Function<UpstreamCall, CompletableFuture<DocumentResponse>> answer = answers.get(call.uri().getRawPath());
        if (answer == null) {
            return CompletableFuture.completedFuture(new DocumentResponse(404, null, null, new byte[0]));
        }
        return answer.apply(call);
    }

    @Override
    public void fetchStream(UpstreamCall call, StreamConsumer consumer) {
        throw new UnsupportedOperationException("packument tests fetch no tarballs");
    }

    @Override
    public void close() {
    }
}
