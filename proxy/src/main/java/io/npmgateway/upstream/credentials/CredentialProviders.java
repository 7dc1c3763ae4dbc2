package io.npmgateway.upstream.credentials;

import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import java.time.Clock;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * Builds the {@link CredentialProvider} of each configured upstream. The composition root holds one; tests give it
 * their own clock, scheduler, environment or AWS credentials.
 *
 * @param clock          time for renewal planning and expiry
 * @param schedulers     the renewal thread of an upstream, by upstream id
 * @param environment    what {@code ${VAR}} in a token command expands to
 * @param awsCredentials the AWS credentials CodeArtifact calls are signed with
 */
public record CredentialProviders(
        Clock clock,
        Function<String, RenewalScheduler> schedulers,
        Map<String, String> environment,
        Supplier<AwsCredentialsProvider> awsCredentials) {

    /** The production setup: system clock, one daemon thread per refreshed upstream, the process environment and
     * the AWS SDK's default credential chain. */
    public static CredentialProviders defaults() {
        return new CredentialProviders(Clock.systemUTC(),
                id -> RenewalScheduler.daemonThread("npm-gateway-credentials-" + id),
                System.getenv(), () -> DefaultCredentialsProvider.builder().build());
    }

    public CredentialProviders withAwsCredentials(AwsCredentialsProvider provider) {
        return new CredentialProviders(clock, schedulers, environment, () -> provider);
    }

    /** The provider for one upstream; not started. */
    public CredentialProvider create(UpstreamConfig upstream) {
        UpstreamAuth auth = upstream.auth();
        if (auth instanceof UpstreamAuth.TokenCommand command) {
            return new TokenCommandCredentials(upstream.id(), command, environment, clock,
                    schedulers.apply(upstream.id()));
        }
        if (auth instanceof UpstreamAuth.CodeArtifact codeArtifact) {
            return new CodeArtifactCredentials(upstream.id(), codeArtifact, awsCredentials.get(), clock,
                    schedulers.apply(upstream.id()));
        }
        return FixedCredentials.of(auth);
    }
}
