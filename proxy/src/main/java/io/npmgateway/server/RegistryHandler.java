package io.npmgateway.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.npmgateway.npm.InvalidRequestException;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.RequestPathParser;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: checks what the codec decoded, routes the path to a
 * {@link RegistryRequest} and hands it to the route that answers it. Requests on one connection are answered
 * strictly in order: a pipelined request waits until the response before it has been written.
 *
 * <p>Most requests arrive whole; a streamed write (see {@link StreamedRequests}) arrives as its head, dispatched at
 * once with a {@link StreamedRequestBody}, followed by body pieces fed to that body as they are decoded.
 */
final class RegistryHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryHandler.class);

    private final RequestPathParser paths;
    private final Routes routes;
    private final RequestObserver observer;
    private final InFlight inFlight;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /** The streamed body whose pieces are arriving now, or null. */
    private StreamedRequestBody receiving;
    /** The exchange answering the streamed request being received, once dispatched. */
    private Exchange receivingExchange;
    private boolean busy;
    /** The exchange being answered while {@link #busy}. */
    private Exchange current;
    /** The gateway is shutting down ({@link Drain}): no further request is taken on this connection. */
    private boolean draining;
    /** A request on this connection could not be decoded: nothing after it is read as a request. */
    private boolean refusing;

    /** A request that arrived while another was being answered: whole, or a streamed head with its body. */
    private record Waiting(HttpRequest request, StreamedRequestBody body) {
        void release() {
            if (request instanceof FullHttpRequest full) {
                full.release();
            }
            if (body != null) {
                body.abort("the connection closed");
            }
        }
    }

    /** Sent to every open client connection when a shutdown starts (see {@link GatewayServer#close()}). */
    static final class Drain {
        static final Drain INSTANCE = new Drain();

        private Drain() {
        }
    }

    RegistryHandler(RequestPathParser paths, Routes routes, RequestObserver observer, InFlight inFlight) {
        this.paths = paths;
        this.routes = routes;
        this.observer = observer;
        this.inFlight = inFlight;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refusing) {
            // A request on this connection could not be decoded: what follows it is not read as requests.
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        Waiting arrived;
        if (msg instanceof FullHttpRequest full) {
            arrived = new Waiting(full, null);
        } else if (msg instanceof HttpRequest head) {
            receiving = new StreamedRequestBody(ctx, HttpUtil.is100ContinueExpected(head));
            receivingExchange = null;
            arrived = new Waiting(head, receiving);
        } else {
            if (msg instanceof HttpContent content && receiving != null) {
                StreamedRequestBody body = receiving;
                if (content instanceof LastHttpContent) {
                    receiving = null;
                    receivingExchange = null;
                }
                body.onContent(content);
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (busy) {
            if (waiting.size() >= 16) {
                arrived.release();
                ctx.close();
                return;
            }
            waiting.add(arrived);
            return;
        }
        handle(ctx, arrived);
    }

    private void handle(ChannelHandlerContext ctx, Waiting arrived) {
        busy = true;
        inFlight.started();
        HttpRequest request = arrived.request();
        StreamedRequestBody body = arrived.body();
        Exchange exchange = new Exchange(ctx, request, ex -> {
            inFlight.finished();
            observer.completed(ex);
            if (body != null) {
                // Answered: whatever of the body is still to come is not wanted any more.
                body.discardRest();
            }
            ctx.executor().execute(() -> next(ctx));
        }, body);
        current = exchange;
        if (draining) {
            exchange.lastOnConnection();
        }
        if (body != null && body == receiving) {
            receivingExchange = exchange;
        }
        try {
            dispatch(exchange, request);
        } catch (InvalidRequestException e) {
            exchange.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("internal error routing a request", e);
            exchange.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error in the gateway");
        } finally {
            if (request instanceof FullHttpRequest full) {
                full.release();
            }
        }
    }

    private void next(ChannelHandlerContext ctx) {
        busy = false;
        current = null;
        if (draining) {
            waiting.forEach(Waiting::release);
            waiting.clear();
            ctx.close();
            return;
        }
        Waiting queued = waiting.poll();
        if (queued != null && ctx.channel().isActive() && !refusing) {
            handle(ctx, queued);
        } else if (queued != null) {
            queued.release();
        }
    }

    private void dispatch(Exchange exchange, HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            refusing = true;
            waiting.forEach(Waiting::release);
            waiting.clear();
            rejectUndecodable(exchange, result.cause());
            return;
        }
        String uri = request.uri();
        int q = uri.indexOf('?');
        String rawPath = q < 0 ? uri : uri.substring(0, q);
        if (!rawPath.startsWith("/")) {
            exchange.error(HttpResponseStatus.BAD_REQUEST, "request target must be an absolute path");
            return;
        }
        if (routes.serveOperational(exchange, rawPath)) {
            return;
        }
        RegistryRequest route = paths.parse(rawPath);
        if (route instanceof RegistryRequest.Logout) {
            exchange.secretInTarget();
        }
        if (route == null) {
            exchange.error(HttpResponseStatus.NOT_FOUND, "not a registry path; the registry is at "
                    + paths.prefix());
            return;
        }
        HttpMethod method = request.method();
        if (!routes.allows(route, method)) {
            DefaultHttpHeaders allow = new DefaultHttpHeaders();
            allow.set(HttpHeaderNames.ALLOW, routes.allowed(route));
            exchange.error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    method.name().replaceAll("[^A-Z]", "?") + " is not supported on this path; it takes "
                            + routes.allowed(route), allow);
            return;
        }
        routes.serve(exchange, route);
    }

    private static void rejectUndecodable(Exchange exchange, Throwable cause) {
        // The rest of the request is not read as HTTP any more: the connection ends after the answer.
        exchange.closeAfterAnswer();
        if (cause instanceof TooLongHttpHeaderException) {
            exchange.error(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers are too large");
        } else if (cause instanceof TooLongHttpLineException) {
            exchange.error(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line is too long");
        } else if (cause instanceof TooLongFrameException) {
            exchange.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request is too large");
        } else if (cause instanceof InvalidRequestException) {
            exchange.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + cause.getMessage());
        } else {
            exchange.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof RequestBodyLimit.TooLarge tooLarge) {
            // A streamed body went over the limit: the upload is abandoned; the 413 is the body limit's to write,
            // unless this request was answered already.
            Exchange exchange = receivingExchange;
            StreamedRequestBody body = receiving;
            receiving = null;
            receivingExchange = null;
            if (exchange != null) {
                if (exchange.answeredElsewhere(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
                    tooLarge.recordedByExchange();
                } else {
                    tooLarge.answeredAlready();
                }
            }
            if (body != null) {
                body.abort("the request body is larger than this gateway accepts");
            }
            return;
        }
        if (evt instanceof Drain) {
            // Shutting down: an idle keep-alive connection closes now, a busy one after its answer (which says
            // Connection: close), so no new request starts during the grace period.
            draining = true;
            if (!busy) {
                ctx.close();
            } else if (current != null) {
                current.lastOnConnection();
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            // Slow or idle clients (slowloris, forgotten keep-alives) must not hold connections forever.
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (receiving != null) {
            // The client went away mid-body: an upload under way is abandoned.
            receiving.abort("the client closed the connection before the whole request body arrived");
            receiving = null;
            receivingExchange = null;
        }
        Waiting queued;
        while ((queued = waiting.poll()) != null) {
            queued.release();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException)) {
            LOG.warn("closing a client connection after an error: {}", cause.toString());
        }
        ctx.close();
    }
}
