package io.npmgateway.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.auth.ClientAuthenticator;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.RouteTable;
import io.npmgateway.npm.PackageName;
import java.util.Optional;

/**
 * Who may read what through the gateway: clients present a gateway token as {@code Authorization: Bearer <token>}
 * (npm sends {@code _authToken} that way; a configured client token or one issued at {@code npm login}), and each route says whether clients without a valid one may read its
 * packages ({@link RouteConfig#anonymous()}). Packuments, versions, dist-tags and tarballs of a package are all
 * checked by the route of the package's name; a name no route serves follows the gateway's default.
 *
 * <p>The client's token is only ever compared here; it is never logged and never forwarded upstream (upstream
 * requests are built from the upstream's own configuration only).
 */
public final class ClientAccess {
    /** The challenge of a 401: the scheme npm answers with its {@code _authToken}. */
    static final String CHALLENGE = "Bearer realm=\"npm-gateway\"";

    private final RouteTable routes;
    private final ClientAuthenticator authenticator;
    private final RouteConfig.Access unrouted;

    public ClientAccess(RouteTable routes, ClientAuthenticator authenticator, RouteConfig.Access unrouted) {
        this.routes = routes;
        this.authenticator = authenticator;
        this.unrouted = unrouted;
    }

    /** The access rules of a configuration, with the authenticator that also checks tokens issued at login. */
    public static ClientAccess of(GatewayConfig config, ClientAuthenticator authenticator) {
        return new ClientAccess(config.routeTable(), authenticator, config.defaultAnonymousAccess());
    }

    /** The access rules of a configuration, with login tokens signed by its own key. */
    public static ClientAccess of(GatewayConfig config) {
        return of(config, ClientAuthenticator.of(config.clients(), java.time.Clock.systemUTC()));
    }

    /** Everyone may read everything (no tokens, every route anonymous). */
    public static ClientAccess open() {
        return new ClientAccess(new RouteTable(java.util.List.of()), ClientAuthenticator.none(),
                RouteConfig.Access.READ);
    }

    /** Whether client authentication is on (client tokens or users are configured). */
    public boolean enabled() {
        return authenticator.enabled();
    }

    public ClientAuthenticator authenticator() {
        return authenticator;
    }

    /** The name of the client whose token the {@code Authorization} header carries, if it carries a valid one. */
    public Optional<String> client(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        return authenticator.authenticate(authorization.substring(7).trim());
    }

    /** Whether a client ({@code client} empty: anonymous) may read the package {@code name}. */
    public boolean mayRead(PackageName name, Optional<String> client) {
        if (client.isPresent()) {
            return true;
        }
        RouteConfig.Access access = routes.routeFor(name.toString()).map(RouteConfig::anonymous).orElse(unrouted);
        return access == RouteConfig.Access.READ;
    }

    /** Answers 401 with the challenge npm understands and a JSON error that says what to configure. */
    static void challenge(Exchange ex, String message) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.WWW_AUTHENTICATE, CHALLENGE);
        ex.error(HttpResponseStatus.UNAUTHORIZED, message, headers);
    }

    /** The 401 for a package the client may not read. */
    void deny(Exchange ex, PackageName name, boolean presentedSomething) {
        challenge(ex, (presentedSomething ? "the gateway does not accept the token this request carries; "
                : "authentication required: ") + name + " needs a gateway token "
                + "(npm: //<gateway host>/:_authToken=<token> in .npmrc)");
    }
}
