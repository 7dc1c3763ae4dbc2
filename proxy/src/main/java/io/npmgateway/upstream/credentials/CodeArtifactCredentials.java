package io.npmgateway.upstream.credentials;

import io.npmgateway.config.Secret;
import io.npmgateway.config.UpstreamAuth;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.codeartifact.CodeartifactClient;
import software.amazon.awssdk.services.codeartifact.CodeartifactClientBuilder;
import software.amazon.awssdk.services.codeartifact.model.GetAuthorizationTokenRequest;
import software.amazon.awssdk.services.codeartifact.model.GetAuthorizationTokenResponse;

/**
 * A CodeArtifact authorization token, obtained with GetAuthorizationToken ({@code POST /v1/authorization-token}) by
 * the AWS SDK, which signs the call (SigV4) with the gateway's own AWS credentials (by default the SDK's default
 * chain: environment, system properties, profiles, web identity, container and instance roles), and renewed at
 * three quarters of its lifetime. The synchronous client runs on the upstream's renewal thread, never on an event
 * loop.
 */
public final class CodeArtifactCredentials extends RefreshingCredentials {
    /** The fraction of a token's lifetime after which it is renewed. */
    static final double RENEW_AT = 0.75;
    /** When the service does not say, CodeArtifact tokens last 12 hours. */
    static final Duration DEFAULT_LIFETIME = Duration.ofHours(12);
    /** A renewal is never planned sooner than this after the last one (a token that expires at once). */
    static final Duration MIN_RENEWAL = Duration.ofSeconds(30);

    private final UpstreamAuth.CodeArtifact auth;
    private final CodeartifactClient client;

    /**
     * @param awsCredentials the AWS credentials to sign with; the SDK's default chain in production, a static pair
     *                       in tests
     */
    public CodeArtifactCredentials(String upstreamId, UpstreamAuth.CodeArtifact auth,
            AwsCredentialsProvider awsCredentials, Clock clock, RenewalScheduler scheduler) {
        super(upstreamId, "CodeArtifact", clock, scheduler);
        this.auth = auth;
        CodeartifactClientBuilder builder = CodeartifactClient.builder()
                .region(Region.of(auth.region()))
                .credentialsProvider(awsCredentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(30)));
        if (auth.endpointOverride() != null) {
            builder.endpointOverride(URI.create(auth.endpointOverride()));
        }
        this.client = builder.build();
    }

    @Override
    protected Token fetch() {
        GetAuthorizationTokenRequest.Builder request = GetAuthorizationTokenRequest.builder().domain(auth.domain());
        if (auth.domainOwner() != null) {
            request.domainOwner(auth.domainOwner());
        }
        if (auth.durationSeconds() != null) {
            request.durationSeconds(auth.durationSeconds().longValue());
        }
        GetAuthorizationTokenResponse response = client.getAuthorizationToken(request.build());
        String token = response.authorizationToken();
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("the response holds no authorization token");
        }
        return new Token(Secret.of(token), response.expiration());
    }

    @Override
    protected Instant renewalTime(Token token, Instant obtainedAt) {
        Duration lifetime = token.expiresAt() == null ? null : Duration.between(obtainedAt, token.expiresAt());
        if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
            // No expiry, or one already past by our clock (skew): plan by the lifetime that was asked for.
            lifetime = auth.durationSeconds() == null || auth.durationSeconds() == 0 ? DEFAULT_LIFETIME
                    : Duration.ofSeconds(auth.durationSeconds());
        }
        Duration after = Duration.ofMillis((long) (lifetime.toMillis() * RENEW_AT));
        return obtainedAt.plus(after.compareTo(MIN_RENEWAL) < 0 ? MIN_RENEWAL : after);
    }

    @Override
    protected String describe(Exception failure) {
        if (failure instanceof AwsServiceException service) {
            String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
            return "GetAuthorizationToken answered HTTP " + service.statusCode() + (code == null ? "" : " " + code);
        }
        if (failure instanceof SdkClientException) {
            return "GetAuthorizationToken failed: " + failure.getClass().getSimpleName()
                    + (failure.getMessage() == null ? "" : " (" + firstLine(failure.getMessage()) + ")");
        }
        return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": "
                + firstLine(failure.getMessage()));
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        String line = nl < 0 ? text : text.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    @Override
    public void close() {
        super.close();
        client.close();
    }
}
