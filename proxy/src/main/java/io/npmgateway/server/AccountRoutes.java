package io.npmgateway.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.auth.LoginService;
import io.npmgateway.npm.InvalidRequestException;
import io.npmgateway.npm.LoginRequestBody;
import io.npmgateway.npm.RegistryRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The account requests the gateway answers itself, about its own clients (never with an upstream's credentials):
 *
 * <ul>
 *   <li><b>login</b> ({@code PUT /-/user/org.couchdb.user:<name>}: {@code npm login --auth-type=legacy},
 *       {@code npm adduser}, {@code yarn npm login}) checks the password with {@link LoginService} and answers
 *       {@code 201 {"ok": true, "token": ...}}, the token npm then writes into {@code .npmrc};
 *   <li><b>web login</b> ({@code POST /-/v1/login}) is declined with a 4xx, which makes npm 10 and 11 fall back to
 *       the user name and password prompt at once (no browser needed, and no login state a replica would have to
 *       share);
 *   <li><b>whoami</b>, <b>logout</b> ({@code DELETE /-/user/token/<token>}: nothing to revoke, since issued tokens
 *       are signed rather than stored; answered 200 so npm removes its copy) and <b>profile get</b>;
 *   <li><b>npm token</b> and <b>profile set</b> are declined with a JSON error saying what to do instead: they would
 *       otherwise manage the write target's account with the gateway's credentials.
 * </ul>
 */
final class AccountRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(AccountRoutes.class);
    private static final JsonFactory JSON = new JsonFactory();
    /** The challenge of a failed login: npm words its error as a wrong password for a Basic challenge. */
    static final String LOGIN_CHALLENGE = "Basic realm=\"npm-gateway\"";

    private final ClientAccess access;
    private final LoginService login;

    /** @param login checks passwords; null where no login is served (the separate metrics port) */
    AccountRoutes(ClientAccess access, LoginService login) {
        this.access = access;
        this.login = login;
    }

    static boolean handles(RegistryRequest request, HttpMethod method) {
        if (request instanceof RegistryRequest.UserDocument) {
            return method.equals(HttpMethod.PUT);
        }
        if (request instanceof RegistryRequest.Account a) {
            return a.endpoint() == RegistryRequest.AccountEndpoint.TOKENS
                    || a.endpoint() == RegistryRequest.AccountEndpoint.PROFILE;
        }
        return request instanceof RegistryRequest.Whoami || request instanceof RegistryRequest.WebLogin
                || request instanceof RegistryRequest.Logout;
    }

    /** The methods a route answers, for the 405 {@code Allow} header. */
    static String allowed(RegistryRequest request) {
        if (request instanceof RegistryRequest.WebLogin) {
            return "POST";
        }
        if (request instanceof RegistryRequest.Logout) {
            return "DELETE";
        }
        if (request instanceof RegistryRequest.Account) {
            return "GET, HEAD, POST, DELETE";
        }
        return "GET, HEAD";
    }

    void serve(Exchange ex, RegistryRequest request, Optional<String> client) {
        if (request instanceof RegistryRequest.Whoami) {
            whoami(ex, client);
        } else if (request instanceof RegistryRequest.UserDocument u) {
            login(ex, u);
        } else if (request instanceof RegistryRequest.WebLogin) {
            ex.error(HttpResponseStatus.NOT_FOUND, "web login is not offered by this gateway; log in with a user "
                    + "name and password (npm falls back to asking for them; npm login --auth-type=legacy asks "
                    + "at once)");
        } else if (request instanceof RegistryRequest.Logout) {
            logout(ex);
        } else if (request instanceof RegistryRequest.Account a
                && a.endpoint() == RegistryRequest.AccountEndpoint.PROFILE) {
            profile(ex, client);
        } else {
            ex.error(HttpResponseStatus.NOT_FOUND, "npm token is not available through this gateway: get a token "
                    + "with npm login" + (login != null && login.configured() ? "" : " (once its operator configures clients.users)")
                    + " or from the gateway's operator (clients.tokens); tokens of the registries behind it are "
                    + "managed at those registries");
        }
    }

    private void whoami(Exchange ex, Optional<String> client) {
        if (client.isPresent()) {
            ok(ex, HttpResponseStatus.OK, Json.object(Map.of("username", client.get())));
            return;
        }
        ClientAccess.challenge(ex, ex.header(HttpHeaderNames.AUTHORIZATION) == null
                ? "not logged in: whoami needs a gateway token (npm login, or //<gateway host>/:_authToken=<token>)"
                : "the gateway does not accept the token this request carries");
    }

    private void login(Exchange ex, RegistryRequest.UserDocument request) {
        if (login == null || !login.configured()) {
            ex.error(HttpResponseStatus.NOT_FOUND, "login is not configured on this gateway: it has no users "
                    + "(clients.users) or client tokens (clients.tokens), and reading packages needs no login");
            return;
        }
        LoginRequestBody body;
        try {
            body = LoginRequestBody.parse(ex.body());
        } catch (InvalidRequestException e) {
            ex.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        if (body.name() != null && !body.name().equals(request.user())) {
            ex.error(HttpResponseStatus.BAD_REQUEST, "the user name in the body is not the one in the path");
            return;
        }
        String user = request.user();
        String address = address(ex.context().channel().remoteAddress());
        // Throttled per address and name: one client behind a load balancer cannot lock everyone else out.
        login.login(user, body.password(), address + " " + user).whenComplete((outcome, error) -> {
            if (error != null) {
                LOG.error("login check failed", error);
                ex.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error in the gateway");
                return;
            }
            answer(ex, user, address, outcome);
        });
    }

    private void answer(Exchange ex, String user, String address, LoginService.Outcome outcome) {
        if (outcome instanceof LoginService.Outcome.Granted g) {
            LOG.info("login: '{}' logged in from {} as '{}'", printable(user), address, g.user());
            ok(ex, HttpResponseStatus.CREATED, loginAnswer(user, g.token()));
        } else if (outcome instanceof LoginService.Outcome.Refused) {
            LOG.info("login: refused for '{}' from {}", printable(user), address);
            HttpHeaders headers = new DefaultHttpHeaders();
            headers.set(HttpHeaderNames.WWW_AUTHENTICATE, LOGIN_CHALLENGE);
            ex.error(HttpResponseStatus.UNAUTHORIZED, "wrong user name or password; accounts are set up by the "
                    + "gateway's operator (clients.users), there is no sign-up", headers);
        } else if (outcome instanceof LoginService.Outcome.Throttled t) {
            tooMany(ex, t.retryAfter(), "too many failed logins for '" + printable(user) + "' from this address; "
                    + "try again in " + round(t.retryAfter()).toSeconds() + " s");
        } else if (outcome instanceof LoginService.Outcome.Busy) {
            tooMany(ex, Duration.ofSeconds(1), "too many logins are being checked; try again in a moment");
        } else {
            ex.error(HttpResponseStatus.NOT_FOUND, "login is not configured on this gateway");
        }
    }

    private static Duration round(Duration d) {
        return Duration.ofSeconds(Math.max(1, d.toSeconds() + (d.toNanosPart() > 0 ? 1 : 0)));
    }

    private static void tooMany(Exchange ex, Duration retryAfter, String message) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.RETRY_AFTER, Long.toString(round(retryAfter).toSeconds()));
        ex.error(HttpResponseStatus.TOO_MANY_REQUESTS, message, headers);
    }

    /**
     * Nothing to revoke: issued tokens are signed, not stored, so each replica would have to share a revocation
     * list. npm removes the token from {@code .npmrc} only after a 2xx, so logout always succeeds; the body says
     * how long the token would still be accepted.
     */
    private void logout(Exchange ex) {
        ok(ex, HttpResponseStatus.OK, okAnswer("note", "the gateway keeps no list of tokens to revoke: a token "
                + "issued at login is accepted until it expires (its operator ends all of them by changing "
                + "clients.login.secret, or one user's by setting a new password)"));
    }

    private void profile(Exchange ex, Optional<String> client) {
        if (!ex.request().method().equals(HttpMethod.GET) && !ex.request().method().equals(HttpMethod.HEAD)) {
            ex.error(HttpResponseStatus.NOT_FOUND, "profile changes are not available through this gateway: "
                    + "its accounts are configured by its operator (clients.users)");
            return;
        }
        if (client.isEmpty()) {
            ClientAccess.challenge(ex, "npm profile needs a gateway token (npm login)");
            return;
        }
        ok(ex, HttpResponseStatus.OK, profileAnswer(client.get()));
    }

    private static void ok(Exchange ex, HttpResponseStatus status, byte[] body) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        ex.bytes(status, headers, body);
    }

    private static byte[] loginAnswer(String user, String token) {
        return okAnswer("id", "org.couchdb.user:" + user, "token", token);
    }

    /** {@code {"ok": true, key: value, ...}}. */
    private static byte[] okAnswer(String... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeBooleanField("ok", true);
            for (int i = 0; i < fields.length; i += 2) {
                g.writeStringField(fields[i], fields[i + 1]);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] profileAnswer(String user) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("name", user);
            g.writeBooleanField("tfa", false);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String printable(String text) {
        return RequestObserver.LogText.printable(text);
    }

    private static String address(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }
}
