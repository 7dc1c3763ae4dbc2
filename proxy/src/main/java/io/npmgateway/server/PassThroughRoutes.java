package io.npmgateway.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.TarballUrlReverser;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.upstream.ForwardedResponse;
import io.npmgateway.upstream.Upstream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests the gateway does not answer from its caches but passes to one chosen upstream, never caching the
 * answer:
 *
 * <ul>
 *   <li><b>audit</b> ({@code POST /-/npm/v1/security/advisories/bulk}) to the configured audit upstream. npm sends the
 *       body gzip-compressed ({@code Content-Encoding: gzip}), pnpm and Yarn 4 as plain JSON; the gateway
 *       decompresses (bounded) and always forwards plain JSON, so the audit upstream needs no support for compressed
 *       request bodies. The retired {@code /audits} and {@code /audits/quick} get 410 pointing at the bulk endpoint.
 *   <li><b>search</b> ({@code GET /-/v1/search}) to the first upstream, in configured order, that implements it (a
 *       404, 405 or 501 moves on: CodeArtifact and Azure Artifacts do not).
 *   <li><b>writes</b> (publish, deprecate, unpublish, dist-tag add/rm, owner changes) and {@code ?write=true} reads to
 *       the write target, with its credentials. Whole documents sent back have gateway tarball URLs mapped back to
 *       the upstream's; {@code ?write=true} answers get them rewritten like any read. After a successful write the
 *       package's cached documents are dropped, so the next install sees the change at once.
 *   <li><b>account requests about packages</b>: npm owner add/rm's user look-up
 *       ({@code GET /-/user/org.couchdb.user:<name>}), npm access and npm stars to the write target; the signing keys
 *       ({@code GET /-/npm/v1/keys}) to the first upstream. Login itself is answered by {@link AccountRoutes}.
 * </ul>
 *
 * Only the headers a request needs (content type, {@code npm-otp}) go upstream, never the client's
 * {@code Authorization}; the upstream's status, body and a few headers ({@link ForwardedResponse#PASSED_ON}) come
 * back.
 */
final class PassThroughRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(PassThroughRoutes.class);
    /** Largest answer passed back (a search page, an audit report, a packument read for writing). */
    static final long MAX_RESPONSE_BYTES = 64L * 1024 * 1024;
    static final String BULK_PATH = "-/npm/v1/security/advisories/bulk";

    private final List<Upstream> upstreams;
    private final Upstream writeTarget;
    private final Upstream auditUpstream;
    private final PackumentService packuments;
    private final Supplier<PackumentRewriter> rewriter;
    private final ClientAccess access;
    private final int maxWriteBody;

    /**
     * @param upstreams     every upstream, in configured order (search asks them in turn)
     * @param writeTarget   the upstream that receives writes, or null when writes are refused
     * @param auditUpstream the upstream that answers audits, or null when audit is not offered
     * @param access        who the client is; when client authentication is on, audit, search, writes and the
     *                      forwarded account requests need a gateway token
     * @param maxWriteBody  the largest write body, also after decompression
     */
    PassThroughRoutes(List<Upstream> upstreams, Upstream writeTarget, Upstream auditUpstream,
            PackumentService packuments, Supplier<PackumentRewriter> rewriter, ClientAccess access,
            int maxWriteBody) {
        this.maxWriteBody = maxWriteBody;
        this.upstreams = List.copyOf(upstreams);
        this.writeTarget = writeTarget;
        this.auditUpstream = auditUpstream;
        this.packuments = packuments;
        this.rewriter = rewriter;
        this.access = access;
    }

    /** Pass-through answering nothing: writes and audit not configured, search on no upstream. */
    static PassThroughRoutes none() {
        return new PassThroughRoutes(List.of(), null, null, null, null, ClientAccess.open(),
                RequestBodyLimit.MAX_READ_BODY);
    }

    /** Whether {@code request} sent with {@code method} is one of the pass-through requests. */
    static boolean handles(RegistryRequest request, HttpMethod method, String rawQuery) {
        if (request instanceof RegistryRequest.AuditBulk || request instanceof RegistryRequest.AuditLegacy
                || request instanceof RegistryRequest.Search || request instanceof RegistryRequest.DistTag
                || request instanceof RegistryRequest.Revision || request instanceof RegistryRequest.TarballRevision) {
            return true;
        }
        if (request instanceof RegistryRequest.UserDocument) {
            return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        }
        if (request instanceof RegistryRequest.Account a) {
            return a.endpoint() == RegistryRequest.AccountEndpoint.ACCESS
                    || a.endpoint() == RegistryRequest.AccountEndpoint.STARS
                    || a.endpoint() == RegistryRequest.AccountEndpoint.KEYS;
        }
        if (request instanceof RegistryRequest.Packument) {
            return method.equals(HttpMethod.PUT) || isWriteRead(method, rawQuery);
        }
        return false;
    }

    /** The methods a route answers, for the 405 {@code Allow} header; null when the route takes any. */
    static String allowed(RegistryRequest request) {
        if (request instanceof RegistryRequest.AuditBulk) {
            return "POST";
        }
        if (request instanceof RegistryRequest.AuditLegacy) {
            return null;
        }
        if (request instanceof RegistryRequest.DistTag || request instanceof RegistryRequest.Revision) {
            return "PUT, DELETE";
        }
        if (request instanceof RegistryRequest.TarballRevision) {
            return "DELETE";
        }
        if (request instanceof RegistryRequest.UserDocument) {
            return "GET, HEAD, PUT";
        }
        if (request instanceof RegistryRequest.Account a) {
            return a.endpoint() == RegistryRequest.AccountEndpoint.ACCESS ? "GET, HEAD, PUT, POST, DELETE"
                    : "GET, HEAD";
        }
        if (request instanceof RegistryRequest.Packument) {
            return "GET, HEAD, PUT";
        }
        return "GET, HEAD";
    }

    static boolean isWriteRead(HttpMethod method, String rawQuery) {
        if (!method.equals(HttpMethod.GET) || rawQuery == null) {
            return false;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.equals("write=true")) {
                return true;
            }
        }
        return false;
    }

    void serve(Exchange ex, RegistryRequest request) {
        if (request instanceof RegistryRequest.AuditBulk) {
            if (authenticated(ex, "audits")) {
                audit(ex);
            }
        } else if (request instanceof RegistryRequest.AuditLegacy) {
            ex.error(HttpResponseStatus.GONE, "the legacy audit endpoint /" + ((RegistryRequest.AuditLegacy) request)
                    .path() + " is retired; use POST /" + BULK_PATH + " (npm 7 and later do)");
        } else if (request instanceof RegistryRequest.Search) {
            if (authenticated(ex, "searches")) {
                search(ex);
            }
        } else if (request instanceof RegistryRequest.UserDocument u) {
            userLookup(ex, u);
        } else if (request instanceof RegistryRequest.Account a) {
            account(ex, a);
        } else {
            write(ex, request);
        }
    }

    // ---- audit ----

    private void audit(Exchange ex) {
        if (auditUpstream == null) {
            ex.error(HttpResponseStatus.NOT_IMPLEMENTED, "npm audit is not configured on this gateway: set "
                    + "auditUpstream to the id of an upstream that answers POST /" + BULK_PATH);
            return;
        }
        byte[] body;
        try {
            body = plainBody(ex);
        } catch (BodyException e) {
            ex.error(e.status, e.getMessage());
            return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Accept", "application/json");
        headers.put("Accept-Encoding", "gzip");
        relay(ex, auditUpstream, auditUpstream.forward("POST", BULK_PATH, headers, body, MAX_RESPONSE_BYTES),
                "the audit", null);
    }

    /** The request body as plain bytes: gunzipped when it came with {@code Content-Encoding: gzip}, bounded. */
    private static byte[] plainBody(Exchange ex) {
        return plainBody(ex, RequestBodyLimit.MAX_POST_BODY);
    }

    private static byte[] plainBody(Exchange ex, int max) {
        byte[] raw = ex.body();
        String encoding = ex.header(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding == null || encoding.isBlank() || encoding.trim().equalsIgnoreCase("identity")) {
            return raw;
        }
        if (!encoding.trim().equalsIgnoreCase("gzip")) {
            throw new BodyException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "request Content-Encoding '" + encoding.replaceAll("[^A-Za-z0-9,-]", "?") + "' is not supported; "
                            + "send gzip or none");
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(max, Math.max(64L, raw.length * 4L)));
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + n > max) {
                    throw new BodyException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "decompressed request body is larger than the " + max + " bytes this gateway accepts");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new BodyException(HttpResponseStatus.BAD_REQUEST, "request body is not valid gzip");
        }
    }

    private static final class BodyException extends RuntimeException {
        final HttpResponseStatus status;

        BodyException(HttpResponseStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    // ---- search ----

    private void search(Exchange ex) {
        String query = ex.rawQuery();
        String target = "-/v1/search" + (query == null ? "" : "?" + query);
        Map<String, String> headers = Map.of("Accept", "application/json", "Accept-Encoding", "gzip");
        searchFrom(ex, 0, target, headers);
    }

    private void searchFrom(Exchange ex, int index, String target, Map<String, String> headers) {
        if (index >= upstreams.size()) {
            ex.error(HttpResponseStatus.NOT_IMPLEMENTED, "no upstream of this gateway offers search");
            return;
        }
        Upstream upstream = upstreams.get(index);
        upstream.forward("GET", target, headers, null, MAX_RESPONSE_BYTES).whenComplete((response, error) -> {
            int status = response == null ? 0 : response.status();
            if (error == null && (status == 404 || status == 405 || status == 501)) {
                searchFrom(ex, index + 1, target, headers);
            } else {
                relay(ex, upstream, CompletableFuture.completedFuture(response), "the search", error);
            }
        });
    }

    // ---- account requests forwarded ----

    /**
     * npm owner add/rm looks the user up ({@code GET /-/user/org.couchdb.user:<name>}) on the registry that owns the
     * package: the write target, asked with its credentials.
     */
    private void userLookup(Exchange ex, RegistryRequest.UserDocument request) {
        if (writeTargetMissing(ex, "npm owner add/rm")) {
            return;
        }
        if (!authenticated(ex, "user look-ups (npm owner add/rm)")) {
            return;
        }
        relay(ex, writeTarget, writeTarget.forward("GET", "-/user/org.couchdb.user:" + encode(request.user()),
                readHeaders(), null, MAX_RESPONSE_BYTES), "the user look-up", null);
    }

    /**
     * npm access and npm stars act on the registry that owns the packages: the write target, with its credentials;
     * the signing keys ({@code npm audit signatures}) come from the first upstream, which serves most packages.
     */
    private void account(Exchange ex, RegistryRequest.Account request) {
        boolean keys = request.endpoint() == RegistryRequest.AccountEndpoint.KEYS;
        String what = switch (request.endpoint()) {
            case ACCESS -> "npm access";
            case STARS -> "npm stars";
            default -> "signing keys";
        };
        if (!keys && writeTargetMissing(ex, what)) {
            return;
        }
        if (keys && upstreams.isEmpty()) {
            ex.error(HttpResponseStatus.NOT_FOUND, "no upstream to ask for signing keys");
            return;
        }
        if (!authenticated(ex, what)) {
            return;
        }
        Upstream upstream = keys ? upstreams.get(0) : writeTarget;
        String method = ex.request().method().name();
        String query = ex.rawQuery();
        String target = request.target() + (query == null ? "" : "?" + query);
        Map<String, String> headers = readHeaders();
        byte[] body = null;
        if (!method.equals("GET") && !method.equals("HEAD")) {
            try {
                body = plainBody(ex, maxWriteBody);
            } catch (BodyException e) {
                ex.error(e.status, e.getMessage());
                return;
            }
            headers.put("Content-Type", "application/json");
            String otp = ex.header("npm-otp");
            if (otp != null) {
                headers.put("npm-otp", otp);
            }
        }
        relay(ex, upstream, upstream.forward(method, target, headers, body, MAX_RESPONSE_BYTES), what, null);
    }

    private static Map<String, String> readHeaders() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept", "application/json");
        headers.put("Accept-Encoding", "gzip");
        return headers;
    }

    private boolean writeTargetMissing(Exchange ex, String what) {
        if (writeTarget != null) {
            return false;
        }
        ex.error(HttpResponseStatus.NOT_FOUND, what + " is not available: this gateway has no write target "
                + "(writeTarget), the registry that owns the packages");
        return true;
    }

    // ---- writes ----

    private void write(Exchange ex, RegistryRequest request) {
        if (writeTarget == null) {
            HttpHeaders allow = new DefaultHttpHeaders();
            allow.set(HttpHeaderNames.ALLOW, "GET, HEAD");
            ex.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "writes (publish, dist-tag, deprecate, unpublish, owner) "
                    + "are not configured on this gateway: set writeTarget to the id of the upstream that receives "
                    + "them", allow);
            return;
        }
        if (!authenticated(ex, "writes")) {
            return;
        }
        String method = ex.request().method().name();
        PackageName name = nameOf(request);
        String target = target(request);
        boolean writeRead = request instanceof RegistryRequest.Packument && method.equals("GET");
        if (writeRead) {
            target = target + "?write=true";
        }
        if (ex.streamedBody() != null) {
            streamedWrite(ex, method, name, target);
            return;
        }
        byte[] body;
        try {
            // The upstream gets the body without a Content-Encoding: decompressed here if the client compressed it.
            body = plainBody(ex, (int) Math.min(maxWriteBody, MAX_RESPONSE_BYTES));
        } catch (BodyException e) {
            ex.error(e.status, e.getMessage());
            return;
        }
        if (body.length > 0 && (request instanceof RegistryRequest.Packument
                || request instanceof RegistryRequest.Revision)) {
            body = TarballUrlReverser.reverse(body, rewriter.get().baseUrl(), writeTarget.config().url());
        }
        Map<String, String> headers = writeHeaders(ex, body.length > 0);
        CompletableFuture<ForwardedResponse> forwarded = writeTarget.forward(method, target, headers,
                method.equals("GET") || method.equals("HEAD") ? null : body, MAX_RESPONSE_BYTES);
        if (!writeRead) {
            forwarded = afterWrite(forwarded, method, name);
        } else {
            forwarded = forwarded.thenApply(response -> rewriteForReading(name, response));
        }
        relay(ex, writeTarget, forwarded, method + " " + name, null);
    }

    private static Map<String, String> writeHeaders(Exchange ex, boolean hasBody) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept", "application/json");
        headers.put("Accept-Encoding", "gzip");
        String contentType = ex.header(HttpHeaderNames.CONTENT_TYPE);
        if (hasBody || contentType != null) {
            headers.put("Content-Type", contentType == null ? "application/json" : contentType);
        }
        String otp = ex.header("npm-otp");
        if (otp != null) {
            headers.put("npm-otp", otp);
        }
        return headers;
    }

    private CompletableFuture<ForwardedResponse> afterWrite(CompletableFuture<ForwardedResponse> forwarded,
            String method, PackageName name) {
        return forwarded.whenComplete((response, error) -> {
            // Even a failed write may have changed the upstream: a fresh read costs little.
            packuments.invalidate(name);
            if (response != null && response.status() < 300) {
                LOG.info("{} {} went to upstream '{}': {}", method, name, writeTarget.id(), response.status());
            }
        });
    }

    /**
     * A whole-document write (publish) whose body is streamed: the upload to the write target starts at once, and
     * the body follows piece by piece as the client sends it, tarball URLs mapped back on the way (see
     * {@link UploadPump}). The upstream's answer is relayed; a client that goes away abandons the upload, and an
     * upstream that fails mid-way gets the client a 502.
     */
    private void streamedWrite(Exchange ex, String method, PackageName name, String target) {
        StreamedRequestBody body = ex.streamedBody();
        io.netty.util.concurrent.EventExecutor loop = ex.context().executor();
        writeTarget.upload(method, target, writeHeaders(ex, true), MAX_RESPONSE_BYTES, loop)
                .whenComplete((upload, error) -> loop.execute(() -> {
                    if (error != null) {
                        packuments.invalidate(name);
                        relay(ex, writeTarget, null, method + " " + name, error);
                        return;
                    }
                    CompletableFuture<ForwardedResponse> forwarded = afterWrite(upload.response(), method, name);
                    body.subscribe(new UploadPump(body, upload, rewriter.get().baseUrl(),
                            writeTarget.config().url()));
                    relay(ex, writeTarget, forwarded, method + " " + name, null);
                }));
    }

    /** A {@code ?write=true} document gets gateway tarball URLs, like every read (npm unpublish derives paths from them). */
    private ForwardedResponse rewriteForReading(PackageName name, ForwardedResponse response) {
        if (response.status() != 200) {
            return response;
        }
        byte[] rewritten = rewriter.get().rewrite(name, response.body()).document(PackumentRepresentation.FULL);
        return new ForwardedResponse(200, response.headers(), rewritten);
    }

    /**
     * Whether the request may go on: always when no client tokens are configured; otherwise only with one of them
     * (answered 401 here when not). Audit, search and writes act with an upstream's credentials on no particular
     * package, so no route's anonymous access can open them.
     */
    private boolean authenticated(Exchange ex, String what) {
        if (!access.enabled() || access.client(ex.header(HttpHeaderNames.AUTHORIZATION)).isPresent()) {
            return true;
        }
        HttpHeaders challenge = new DefaultHttpHeaders();
        challenge.set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"npm-gateway\"");
        ex.error(HttpResponseStatus.UNAUTHORIZED, what + " need a gateway token (npm: //<gateway host>/:_authToken="
                + "<token>)", challenge);
        return false;
    }

    private static PackageName nameOf(RegistryRequest request) {
        if (request instanceof RegistryRequest.Packument p) {
            return p.name();
        }
        if (request instanceof RegistryRequest.DistTag d) {
            return d.name();
        }
        if (request instanceof RegistryRequest.Revision r) {
            return r.name();
        }
        if (request instanceof RegistryRequest.TarballRevision t) {
            return t.name();
        }
        throw new IllegalArgumentException("not a write: " + request);
    }

    /** The path under the write target's base URL, spelled as npm spells it ({@code @scope%2fname}). */
    private static String target(RegistryRequest request) {
        if (request instanceof RegistryRequest.Packument p) {
            return p.name().escaped();
        }
        if (request instanceof RegistryRequest.DistTag d) {
            return "-/package/" + d.name().escaped() + "/dist-tags/" + encode(d.tag());
        }
        if (request instanceof RegistryRequest.Revision r) {
            return r.name().escaped() + "/-rev/" + encode(r.revision());
        }
        RegistryRequest.TarballRevision t = (RegistryRequest.TarballRevision) request;
        return t.name().escaped() + "/-/" + t.fileName() + "/-rev/" + encode(t.revision());
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ---- answering ----

    private static void relay(Exchange ex, Upstream upstream, CompletableFuture<ForwardedResponse> forwarded,
            String subject, Throwable earlier) {
        if (earlier != null) {
            Failures.respond(ex, earlier, subject + " at upstream '" + upstream.id() + "'");
            return;
        }
        forwarded.whenComplete((response, error) -> {
            ex.describe(io.npmgateway.metrics.Route.OTHER, io.npmgateway.metrics.CacheOutcome.NONE, upstream.id());
            if (error != null) {
                Failures.respond(ex, error, subject + " at upstream '" + upstream.id() + "'");
                return;
            }
            HttpHeaders headers = new DefaultHttpHeaders();
            response.headers().forEach(headers::set);
            if (!headers.contains(HttpHeaderNames.CONTENT_TYPE)) {
                headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            }
            headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            ex.bytes(HttpResponseStatus.valueOf(response.status()), headers, response.body());
        });
    }
}
