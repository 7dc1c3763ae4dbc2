package io.npmgateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How the gateway authenticates to one upstream registry. Secrets are {@link Secret}s, so every variant's
 * {@code toString()} is safe to log. The variants map onto the {@code Authorization} header as npm builds it:
 *
 * <table>
 *   <caption>Credential kinds</caption>
 *   <tr><th>variant</th><th>YAML {@code type}</th><th>header</th><th>.npmrc equivalent</th></tr>
 *   <tr><td>{@link None}</td><td>{@code none}</td><td>none</td><td>no credentials for the URL</td></tr>
 *   <tr><td>{@link Bearer}</td><td>{@code bearer}</td><td>{@code Bearer <token>}</td><td>{@code :_authToken}</td></tr>
 *   <tr><td>{@link Basic}</td><td>{@code basic}</td><td>{@code Basic base64(username:password)}</td>
 *       <td>{@code :username} + {@code :_password} (base64 of the password)</td></tr>
 *   <tr><td>{@link LegacyAuth}</td><td>{@code legacy}</td><td>{@code Basic <auth>}, verbatim</td>
 *       <td>{@code :_auth}</td></tr>
 *   <tr><td>{@link CodeArtifact}</td><td>{@code codeartifact}</td><td>{@code Bearer <token>} from
 *       GetAuthorizationToken, renewed before it expires</td><td>none (the CLI writes a 12 h token)</td></tr>
 *   <tr><td>{@link TokenCommand}</td><td>{@code command}</td><td>{@code Bearer <stdout of the command>},
 *       rerun every {@code refresh}</td><td>none</td></tr>
 * </table>
 */
public sealed interface UpstreamAuth {

    /** No credentials. */
    None NONE = new None();

    /** The {@code type:} value of this kind in the YAML configuration. */
    String type();

    /** Anonymous: no {@code Authorization} header. */
    record None() implements UpstreamAuth {
        @Override
        public String type() {
            return "none";
        }
    }

    /** A fixed bearer token ({@code _authToken}). */
    record Bearer(Secret token) implements UpstreamAuth {
        public Bearer {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String type() {
            return "bearer";
        }
    }

    /**
     * HTTP Basic with a user name and a password or personal access token, as given (not base64: the
     * {@code .npmrc} import decodes {@code _password} the way npm does before it gets here).
     */
    record Basic(String username, Secret password) implements UpstreamAuth {
        public Basic {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
            if (username.indexOf(':') >= 0) {
                throw new IllegalArgumentException("a Basic user name cannot contain ':'");
            }
        }

        @Override
        public String type() {
            return "basic";
        }
    }

    /** npm's legacy {@code _auth}: {@code base64(user:password)}, sent verbatim as {@code Basic <auth>}. */
    record LegacyAuth(Secret auth) implements UpstreamAuth {
        public LegacyAuth {
            Objects.requireNonNull(auth, "auth");
        }

        @Override
        public String type() {
            return "legacy";
        }
    }

    /**
     * A token the gateway obtains itself from AWS CodeArtifact's GetAuthorizationToken (with the AWS credentials
     * of its own process) and renews before it expires; sent as {@code Bearer}.
     *
     * @param domain           the CodeArtifact domain (required)
     * @param domainOwner      the 12-digit account that owns the domain; {@code null} means the caller's account
     * @param region           the AWS region of the domain (required: the token only works in that region)
     * @param durationSeconds  token lifetime: 0 (the lifetime of the caller's session) or 900-43200;
     *                         {@code null} leaves it to the service (12 hours)
     * @param endpointOverride a different control-plane URL (tests, VPC endpoints); {@code null} for the default
     */
    record CodeArtifact(String domain, String domainOwner, String region, Integer durationSeconds,
            String endpointOverride) implements UpstreamAuth {

        static final Pattern DOMAIN = Pattern.compile("[a-z][a-z0-9\\-]{0,48}[a-z0-9]");
        static final Pattern OWNER = Pattern.compile("[0-9]{12}");
        static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");
        public static final int MIN_DURATION = 900;
        public static final int MAX_DURATION = 43200;

        public CodeArtifact {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(region, "region");
            if (!DOMAIN.matcher(domain).matches()) {
                throw new IllegalArgumentException("domain '" + domain + "' is not a CodeArtifact domain name");
            }
            if (domainOwner != null && !OWNER.matcher(domainOwner).matches()) {
                throw new IllegalArgumentException("domainOwner must be a 12-digit account id");
            }
            if (!REGION.matcher(region).matches()) {
                throw new IllegalArgumentException("region '" + region + "' is not an AWS region name");
            }
            if (durationSeconds != null && !validDuration(durationSeconds)) {
                throw new IllegalArgumentException("durationSeconds must be 0 or 900-43200");
            }
        }

        public CodeArtifact(String domain, String domainOwner, String region) {
            this(domain, domainOwner, region, null, null);
        }

        static boolean validDuration(long seconds) {
            return seconds == 0 || (seconds >= MIN_DURATION && seconds <= MAX_DURATION);
        }

        @Override
        public String type() {
            return "codeartifact";
        }
    }

    /**
     * A program whose standard output (trimmed) is a bearer token, run at start and again every
     * {@code refreshInterval}.
     *
     * @param command         the program and its arguments <em>as written</em> in the configuration:
     *                        {@code ${VAR}} references are kept here (so a dump never shows their values) and
     *                        expanded by {@link #argv(Map)} each time the command runs
     * @param refreshInterval how often the command is rerun
     */
    record TokenCommand(List<String> command, Duration refreshInterval) implements UpstreamAuth {
        public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(15);

        public TokenCommand {
            command = List.copyOf(command);
            if (command.isEmpty() || command.get(0).isBlank()) {
                throw new IllegalArgumentException("command needs at least the program to run");
            }
            refreshInterval = refreshInterval == null ? DEFAULT_REFRESH : refreshInterval;
            if (refreshInterval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("refreshInterval must be at least 1s");
            }
        }

        /** The command line to execute, with {@code ${VAR}} and {@code ${VAR:-default}} expanded from {@code env}. */
        public List<String> argv(Map<String, String> env) {
            return command.stream()
                    .map(arg -> ConfigValues.interpolate(arg, env, "token command", "auth.command"))
                    .toList();
        }

        @Override
        public String type() {
            return "command";
        }
    }
}
