package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The YAML file: every setting, the defaults, and errors that name file, field and what is expected. */
class ConfigLoaderTest {
    private static final Map<String, String> ENV = Map.of(
            "CORP_TOKEN", "corp-token-value-1",
            "AZURE_PAT", "azure-pat-value-2",
            "LEGACY_AUTH", "bGVnYWN5OmF1dGgtdmFsdWUtMw==",
            "CI_TOKEN", "ci-client-token-value-4",
            "VAULT_TOKEN", "vault-token-value-5",
            "LOGIN_SECRET", "login-secret-value-8-0123456789abcdef");
    /** The hash of "ci-user-password-9", as npm-gateway hash-password --iterations 10000 printed it. */
    static final String DANA_HASH = "pbkdf2-sha256$10000$ILtWUmbvnk3BzH/6VeBBEw==$E7uf8A4j0lzjMYEbE0fz1NGeJiNJKuy7SMK0Ct9/Xos=";

    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        return Files.writeString(dir.resolve("gateway.yaml"), yaml, StandardCharsets.UTF_8);
    }

    private GatewayConfig load(String yaml) throws Exception {
        return new ConfigLoader(ENV).load(file(yaml));
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String yaml) throws Exception {
        Path f = file(yaml);
        return assertThatThrownBy(() -> new ConfigLoader(ENV).load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(f + ": ");
    }

    static final String FULL = """
            server:
              bind: 0.0.0.0
              port: 8080
              publicUrl: https://npm.example.internal/npm/
            dataDir: /var/lib/npm-gateway
            upstreams:
              - id: corp
                url: https://registry.example.internal/npm/corp
                auth: { type: bearer, token: "${CORP_TOKEN}" }
                credentialHosts: [files.example.internal, "files2.example.internal:8443"]
                connectTimeout: 2s
                readTimeout: 1m
              - id: azure
                url: https://pkgs.example/myorg/_packaging/myfeed/npm/registry/
                auth: { type: basic, username: myorg, password: "${AZURE_PAT}" }
              - id: legacy
                url: https://legacy.example/
                auth: { type: legacy, auth: "${LEGACY_AUTH}" }
                alwaysAuth: false
              - id: aws
                url: https://mydomain-111122223333.d.codeartifact.example/npm/myrepo/
                auth:
                  type: codeartifact
                  domain: mydomain
                  domainOwner: "111122223333"
                  region: eu-west-1
                  durationSeconds: 3600
                  endpointOverride: http://127.0.0.1:9999
              - id: vault
                url: https://vault-backed.example/
                auth:
                  type: command
                  command: [sh, -c, "vault read -field=token secret/npm -token=${VAULT_TOKEN}"]
                  refresh: 10m
              - id: public
                url: https://public.example/
            routes:
              - packages: ["@corp/*", "@corp-*/*"]
                upstreams: corp
              - packages: "@ms/*"
                upstreams: [azure, public]
                policy: merge
                anonymous: read
              - packages: "*"
                upstreams: [public, legacy, aws, vault]
            clients:
              tokens:
                - name: ci
                  token: ${CI_TOKEN}
              users:
                - name: dana
                  passwordHash: "pbkdf2-sha256$10000$ILtWUmbvnk3BzH/6VeBBEw==$E7uf8A4j0lzjMYEbE0fz1NGeJiNJKuy7SMK0Ct9/Xos="
              login:
                secret: ${LOGIN_SECRET}
                tokenTtl: 12h
            writeTarget: corp
            auditUpstream: public
            cache:
              metadata: { maxAge: 2m, maxStale: 7d }
            storage:
              maxBytes: 20GB
              fileCache: 2GB
            """;

    @Test
    void everySettingIsRead() throws Exception {
        GatewayConfig c = load(FULL);

        assertThat(c.server()).isEqualTo(new ServerConfig("0.0.0.0", 8080, "https://npm.example.internal/npm/",
                Duration.ofSeconds(60), 16 * 1024));
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/npm-gateway"));
        assertThat(c.upstreams()).extracting(UpstreamConfig::id)
                .containsExactly("corp", "azure", "legacy", "aws", "vault", "public");

        UpstreamConfig corp = c.upstream("corp").orElseThrow();
        assertThat(corp.url()).isEqualTo("https://registry.example.internal/npm/corp/");
        assertThat(corp.auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("corp-token-value-1")));
        assertThat(corp.alwaysAuth()).isTrue();
        assertThat(corp.extraCredentialHosts()).containsExactly("files.example.internal", "files2.example.internal:8443");
        assertThat(corp.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(corp.readTimeout()).isEqualTo(Duration.ofMinutes(1));

        assertThat(c.upstream("azure").orElseThrow().auth())
                .isEqualTo(new UpstreamAuth.Basic("myorg", Secret.of("azure-pat-value-2")));
        UpstreamConfig legacy = c.upstream("legacy").orElseThrow();
        assertThat(legacy.auth()).isEqualTo(new UpstreamAuth.LegacyAuth(Secret.of("bGVnYWN5OmF1dGgtdmFsdWUtMw==")));
        assertThat(legacy.alwaysAuth()).isFalse();
        assertThat(c.upstream("aws").orElseThrow().auth()).isEqualTo(new UpstreamAuth.CodeArtifact(
                "mydomain", "111122223333", "eu-west-1", 3600, "http://127.0.0.1:9999/"));

        UpstreamAuth.TokenCommand command = (UpstreamAuth.TokenCommand) c.upstream("vault").orElseThrow().auth();
        assertThat(command.command()).containsExactly("sh", "-c",
                "vault read -field=token secret/npm -token=${VAULT_TOKEN}");
        assertThat(command.argv(ENV)).containsExactly("sh", "-c",
                "vault read -field=token secret/npm -token=vault-token-value-5");
        assertThat(command.refreshInterval()).isEqualTo(Duration.ofMinutes(10));

        assertThat(c.upstream("public").orElseThrow().auth()).isEqualTo(UpstreamAuth.NONE);

        // Client tokens are configured, so routes that do not say are closed to anonymous clients.
        assertThat(c.routes()).containsExactly(
                new RouteConfig("@corp/*", List.of("corp"), RouteConfig.Policy.FIRST, RouteConfig.Access.NONE),
                new RouteConfig("@corp-*/*", List.of("corp"), RouteConfig.Policy.FIRST, RouteConfig.Access.NONE),
                new RouteConfig("@ms/*", List.of("azure", "public"), RouteConfig.Policy.MERGE,
                        RouteConfig.Access.READ),
                new RouteConfig("*", List.of("public", "legacy", "aws", "vault"), RouteConfig.Policy.FIRST,
                        RouteConfig.Access.NONE));
        assertThat(c.effectiveRoutes()).isEqualTo(c.routes());
        assertThat(c.clients().authenticate("ci-client-token-value-4")).contains("ci");
        assertThat(c.clients().authenticate("ci-client-token-value-X")).isEmpty();
        assertThat(c.clients().user("dana").orElseThrow().passwordHash().matches("ci-user-password-9")).isTrue();
        assertThat(c.clients().user("dana").orElseThrow().passwordHash().matches("ci-user-password-0")).isFalse();
        assertThat(c.clients().login()).isEqualTo(new ClientTokens.LoginSettings(
                Secret.of("login-secret-value-8-0123456789abcdef"), Duration.ofHours(12)));
        assertThat(c.writeTarget()).isEqualTo("corp");
        assertThat(c.writeTargetUpstream()).contains(corp);
        assertThat(c.auditUpstream()).isEqualTo("public");

        assertThat(c.cache().metadataMaxAge()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.cache().metadataMaxStale()).isEqualTo(Duration.ofDays(7));
        assertThat(c.cache().negativeTtl()).isEqualTo(CacheConfig.defaults().negativeTtl());
        assertThat(c.storage().maxBytes()).isEqualTo(20L << 30);
        assertThat(c.storage().fileCacheBytes()).isEqualTo(2L << 30);
    }

    @Test
    void theTarballFileCacheDefaultsToOneGigabyteAndZeroTurnsItOff() throws Exception {
        assertThat(load("storage: { maxBytes: 5GB }\n").storage().fileCacheBytes()).isEqualTo(1L << 30);
        assertThat(load("storage: { fileCache: 0 }\n").storage()).isEqualTo(new StorageConfig(0, 0));
        assertRejected("storage: { fileCache: -1GB }\n").hasMessageContaining("storage.fileCache");
    }

    @Test
    void anEmptyFileIsTheDefaults() throws Exception {
        assertThat(load("")).isEqualTo(ConfigLoader.defaults());
        assertThat(load("# nothing\n")).isEqualTo(ConfigLoader.defaults());
    }

    @Test
    void withoutRoutesEveryPackageGoesToEveryUpstreamInOrderFirstWins() throws Exception {
        GatewayConfig c = load("""
                upstreams:
                  - { id: a, url: "https://a.example/" }
                  - { id: b, url: "https://b.example/" }
                """);
        assertThat(c.routes()).isEmpty();
        assertThat(c.effectiveRoutes()).containsExactly(
                new RouteConfig("*", List.of("a", "b"), RouteConfig.Policy.FIRST, RouteConfig.Access.READ));
        assertThat(c.routeTable().routeFor("@any/thing")).contains(c.effectiveRoutes().get(0));
    }

    @Test
    void withClientTokensTheDefaultRouteNeedsAToken() throws Exception {
        GatewayConfig c = load("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                clients: { tokens: [{ name: ci, token: "${CI_TOKEN}" }] }
                """);
        assertThat(c.effectiveRoutes()).singleElement()
                .extracting(RouteConfig::anonymous).isEqualTo(RouteConfig.Access.NONE);
    }

    @Test
    void maxPublishSizeBoundsWriteBodiesAndDefaultsToOneGigabyte() throws Exception {
        assertThat(load("upstreams: [{ id: a, url: \"https://a.example/\" }]\n").server().maxPublishBytes())
                .isEqualTo(1024 * 1024 * 1024);
        GatewayConfig c = load("""
                server: { maxPublishSize: 64MB }
                upstreams: [{ id: a, url: "https://a.example/" }]
                """);
        assertThat(c.server().maxPublishBytes()).isEqualTo(64 * 1024 * 1024);
        assertRejected("server: { maxPublishSize: 0 }\nupstreams: [{ id: a, url: \"https://a.example/\" }]\n")
                .hasMessageContaining("server.maxPublishSize");
    }

    @Test
    void missingVersionRefreshIntervalIsReadDefaultsToTenSecondsAndMayBeZero() throws Exception {
        assertThat(load("upstreams: [{ id: a, url: \"https://a.example/\" }]\n").cache()
                .missingVersionRefreshInterval()).isEqualTo(java.time.Duration.ofSeconds(10));
        GatewayConfig c = load("""
                cache: { metadata: { missingVersionRefreshInterval: 1m } }
                upstreams: [{ id: a, url: "https://a.example/" }]
                """);
        assertThat(c.cache().missingVersionRefreshInterval()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(c.cache().metadataMaxAge()).isEqualTo(CacheConfig.defaults().metadataMaxAge());
        assertThat(load("cache: { metadata: { missingVersionRefreshInterval: 0s } }\n"
                + "upstreams: [{ id: a, url: \"https://a.example/\" }]\n").cache().missingVersionRefreshInterval())
                .isZero();
        assertRejected("cache: { metadata: { missingVersionRefreshInterval: soon } }\n"
                + "upstreams: [{ id: a, url: \"https://a.example/\" }]\n")
                .hasMessageContaining("cache.metadata.missingVersionRefreshInterval: 'soon' is not a duration");
    }

    @Test
    void headerTimeoutBoundsHowLongARequestHeadMayTakeAndDefaultsToTwentySeconds() throws Exception {
        assertThat(load("upstreams: [{ id: a, url: \"https://a.example/\" }]\n").server().headerTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(20));
        GatewayConfig c = load("""
                server: { headerTimeout: 5s, idleTimeout: 30s }
                upstreams: [{ id: a, url: "https://a.example/" }]
                """);
        assertThat(c.server().headerTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(c.server().idleTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertRejected("server: { headerTimeout: 0s }\nupstreams: [{ id: a, url: \"https://a.example/\" }]\n")
                .hasMessageContaining("server.headerTimeout");
    }

    @Test
    void idsDefaultToTheirPosition() throws Exception {
        GatewayConfig c = load("upstreams: [{ url: \"https://a.example\" }, { url: \"https://b.example\" }]\n");
        assertThat(c.upstreams()).extracting(UpstreamConfig::id).containsExactly("upstream1", "upstream2");
    }

    @Test
    void aTokenCommandWithAnUnsetVariableIsRejectedNow() throws Exception {
        assertRejected("""
                upstreams:
                  - id: v
                    url: https://v.example/
                    auth: { type: command, command: [print-token, "${NOT_SET_ANYWHERE}"] }
                """).hasMessageContaining("upstreams[0].auth.command[1]: environment variable NOT_SET_ANYWHERE is not set");
    }

    // ---- validation: each message names the file, the field and what is expected

    @Test
    void anUnknownKey() throws Exception {
        assertRejected("upstreams:\n  - { id: a, url: \"https://a.example/\", timeout: 5s }\n")
                .hasMessageContaining("upstreams[0].timeout: unknown setting; expected one of [alwaysAuth, auth, "
                        + "connectTimeout, credentialHosts, id, readTimeout, url]");
        assertRejected("upstream: []\n").hasMessageContaining(": upstream: unknown setting; expected one of");
    }

    @Test
    void aBadUrl() throws Exception {
        assertRejected("upstreams: [{ id: a, url: \"ftp://a.example/\" }]\n")
                .hasMessageContaining("upstreams[0].url: 'ftp://a.example/' must be an http:// or https:// URL with a host");
        assertRejected("upstreams: [{ id: a, url: \"https://a.example/ x\" }]\n")
                .hasMessageContaining("upstreams[0].url: 'https://a.example/ x' is not a URL");
    }

    @Test
    void credentialsInAUrlAreRefusedWithoutRepeatingThem() throws Exception {
        assertRejected("upstreams: [{ id: a, url: \"https://jdoe:hunter2@a.example/\" }]\n")
                .hasMessageContaining("upstreams[0].url: credentials must not be written into the URL")
                .message().doesNotContain("hunter2");
        assertRejected("upstreams: [{ id: a, url: \"https://jdoe:hunter2@a.example/ bad\" }]\n")
                .message().doesNotContain("hunter2");
    }

    @Test
    void aDuplicateUpstreamId() throws Exception {
        assertRejected("""
                upstreams:
                  - { id: a, url: "https://a.example/" }
                  - { id: a, url: "https://b.example/" }
                """).hasMessageContaining("upstreams[1].id: 'a' is used by another upstream");
    }

    @Test
    void aRouteReferencingAnUnknownUpstream() throws Exception {
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes:
                  - { packages: "@corp/*", upstreams: [a, corp] }
                """).hasMessageContaining("routes[0].upstreams[1]: 'corp' is not an upstream; expected one of [a]");
    }

    @Test
    void aBadPattern() throws Exception {
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes:
                  - { packages: "corp/*", upstreams: [a] }
                """).hasMessageContaining("routes[0].packages: 'corp/*' is not a package pattern; expected '*', "
                        + "a name ('lodash', '@corp/tool'), a scope ('@corp/*')");
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes:
                  - { packages: ["@corp/*", "@corp"], upstreams: [a] }
                """).hasMessageContaining("routes[0].packages[1]: '@corp' is not a package pattern");
    }

    @Test
    void aRouteThatCanNeverMatch() throws Exception {
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes:
                  - { packages: "*", upstreams: [a] }
                  - { packages: "@corp/*", upstreams: [a] }
                """).hasMessageContaining("routes[1].packages: can never match: routes[0].packages routes every package");
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes:
                  - { packages: "@corp/*", upstreams: [a] }
                  - { packages: "@corp/*", upstreams: [a] }
                """).hasMessageContaining("routes[1].packages: can never match: routes[0].packages has the same pattern");
    }

    @Test
    void aBadPolicyOrAccess() throws Exception {
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes: [{ packages: "*", upstreams: [a], policy: union }]
                """).hasMessageContaining("routes[0].policy: 'union' is not one of [first, merge]");
        assertRejected("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                routes: [{ packages: "*", upstreams: [a], anonymous: none }]
                """).hasMessageContaining("routes[0].anonymous: is none, but no client token is configured");
    }

    @Test
    void codeArtifactWithoutADomain() throws Exception {
        assertRejected("""
                upstreams:
                  - id: aws
                    url: https://mydomain-111122223333.d.codeartifact.example/npm/myrepo/
                    auth: { type: codeartifact, domainOwner: "111122223333", region: eu-west-1 }
                """).hasMessageContaining("upstreams[0].auth.domain: is required for type codeartifact");
    }

    @Test
    void codeArtifactWithBadFields() throws Exception {
        String head = "upstreams:\n  - id: aws\n    url: https://ca.example/npm/r/\n    auth: ";
        assertRejected(head + "{ type: codeartifact, domain: My_Domain, region: eu-west-1 }\n")
                .hasMessageContaining("upstreams[0].auth.domain: 'My_Domain' is not a CodeArtifact domain name");
        assertRejected(head + "{ type: codeartifact, domain: d1, domainOwner: 1234, region: eu-west-1 }\n")
                .hasMessageContaining("upstreams[0].auth.domainOwner: '1234' is not an AWS account id; expected 12 digits");
        assertRejected(head + "{ type: codeartifact, domain: d1 }\n")
                .hasMessageContaining("upstreams[0].auth.region: is required for type codeartifact");
        assertRejected(head + "{ type: codeartifact, domain: d1, region: eu-west-1, durationSeconds: 60 }\n")
                .hasMessageContaining("upstreams[0].auth.durationSeconds: '60' is not a token lifetime; expected 0");
        GatewayConfig twelveHours = load(head + "{ type: codeartifact, domain: d1, region: eu-west-1, "
                + "durationSeconds: 12h }\n");
        assertThat(((UpstreamAuth.CodeArtifact) twelveHours.upstreams().get(0).auth()).durationSeconds())
                .isEqualTo(43200);
    }

    @Test
    void aBadDuration() throws Exception {
        assertRejected("upstreams: [{ id: a, url: \"https://a.example/\", readTimeout: 30 seconds }]\n")
                .hasMessageContaining("upstreams[0].readTimeout: '30 seconds' is not a duration; write for example 30s");
        assertRejected("upstreams: [{ id: a, url: \"https://a.example/\", connectTimeout: 0s }]\n")
                .hasMessageContaining("upstreams[0].connectTimeout: '0s' must be longer than zero");
        assertRejected("""
                upstreams:
                  - { id: a, url: "https://a.example/", auth: { type: command, command: [t], refresh: soon } }
                """).hasMessageContaining("upstreams[0].auth.refresh: 'soon' is not a duration");
    }

    @Test
    void badAuthShapes() throws Exception {
        String head = "upstreams:\n  - id: a\n    url: https://a.example/\n    auth: ";
        assertRejected(head + "{ token: x }\n")
                .hasMessageContaining("upstreams[0].auth.type: is required; one of [none, bearer, basic, legacy, "
                        + "codeartifact, command]");
        assertRejected(head + "{ type: oauth }\n")
                .hasMessageContaining("upstreams[0].auth.type: 'oauth' is not a credential type");
        assertRejected(head + "{ type: bearer }\n")
                .hasMessageContaining("upstreams[0].auth.token: is required for type bearer");
        assertRejected(head + "{ type: bearer, token: x, password: y }\n")
                .hasMessageContaining("upstreams[0].auth.password: unknown setting; expected one of [token, type]");
        assertRejected(head + "{ type: basic, username: \"a:b\", password: y }\n")
                .hasMessageContaining("upstreams[0].auth.username: expected a non-empty user name without ':'");
        assertRejected(head + "{ type: bearer, token: \"${EMPTY:-}\" }\n")
                .hasMessageContaining("upstreams[0].auth.token: is empty");
        assertRejected(head + "{ type: command, command: \"vault read\" }\n")
                .hasMessageContaining("upstreams[0].auth.command: expected a list: the program and its arguments");
        assertRejected(head + "{ type: none }\n    credentialHosts: [x.example]\n")
                .hasMessageContaining("upstreams[0].credentialHosts: lists hosts for credentials, but the upstream has no auth");
        assertRejected(head + "{ type: bearer, token: t }\n    credentialHosts: [\"https://x.example/\"]\n")
                .hasMessageContaining("upstreams[0].credentialHosts[0]: 'https://x.example/' is not a host");
        assertRejected(head + "{ type: bearer, token: t }\n    alwaysAuth: sometimes\n")
                .hasMessageContaining("upstreams[0].alwaysAuth: 'sometimes' is not true or false");
    }

    @Test
    void aMissingVariable() throws Exception {
        assertRejected("upstreams: [{ id: a, url: \"https://a.example/\", auth: { type: bearer, token: \"${NOPE}\" } }]\n")
                .hasMessageContaining("upstreams[0].auth.token: environment variable NOPE is not set");
    }

    @Test
    void badClientTokens() throws Exception {
        assertRejected("clients: { tokens: [{ name: ci, token: short }] }\n")
                .hasMessageContaining("clients.tokens[0].token: is shorter than 16 characters")
                .message().doesNotContain("short ");
        assertRejected("""
                clients:
                  tokens:
                    - { name: ci, token: "${CI_TOKEN}" }
                    - { name: ci2, token: "${CI_TOKEN}" }
                """).hasMessageContaining("clients.tokens[1].token: is the same as the token of 'ci'")
                .message().doesNotContain("ci-client-token-value-4");
        assertRejected("clients: { tokens: [{ name: \"a b\", token: \"${CI_TOKEN}\" }] }\n")
                .hasMessageContaining("clients.tokens[0].name: 'a b' must be 1-64 letters");
    }

    @Test
    void writeTargetAndAuditUpstreamMustExist() throws Exception {
        assertRejected("upstreams: [{ id: a, url: \"https://a.example/\" }]\nwriteTarget: b\n")
                .hasMessageContaining("writeTarget: 'b' is not an upstream; expected one of [a]");
        assertRejected("upstreams: [{ id: a, url: \"https://a.example/\" }]\nauditUpstream: b\n")
                .hasMessageContaining("auditUpstream: 'b' is not an upstream; expected one of [a]");
    }

    @Test
    void badServerValues() throws Exception {
        assertRejected("server: { port: 70000 }\n")
                .hasMessageContaining("server.port: '70000' is not a port number (0-65535)");
        assertRejected("server: { publicUrl: \"npm.example.internal\" }\n")
                .hasMessageContaining("server.publicUrl: 'npm.example.internal' must be an http:// or https:// URL");
        assertRejected("storage: { maxBytes: lots }\n")
                .hasMessageContaining("storage.maxBytes: 'lots' is not a size");
    }

    @Test
    void invalidYamlAndWrongShapes() throws Exception {
        assertRejected("upstreams: [\n").hasMessageContaining("not valid YAML");
        assertRejected("upstreams: { id: a }\n").hasMessageContaining("upstreams: expected a list of upstreams");
        assertRejected("- a\n- b\n").hasMessageContaining("(top level): expected a mapping");
    }

    @Test
    void aMissingFile() {
        assertThatThrownBy(() -> new ConfigLoader(ENV).load(dir.resolve("absent.yaml")))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("absent.yaml: file not found");
    }

    @Test
    void loginUsersNeedAHashNeverAPlainPasswordAndNamesNpmAccepts() throws Exception {
        assertRejected("clients: { users: [{ name: dana, password: hunter2 }] }\n")
                .hasMessageContaining("clients.users[0].password: plain passwords are not accepted")
                .hasMessageContaining("npm-gateway hash-password")
                .hasMessageNotContaining("hunter2");
        assertRejected("clients: { users: [{ name: dana, passwordHash: \"sha1$abc\" }] }\n")
                .hasMessageContaining("clients.users[0].passwordHash: is not a password hash");
        assertRejected("clients: { users: [{ name: dana, passwordHash: \"pbkdf2-sha256$1000$"
                + DANA_HASH.split("\\$")[2] + "$" + DANA_HASH.split("\\$")[3] + "\" }] }\n")
                .hasMessageContaining("at least 10000");
        assertRejected("clients: { users: [{ name: Dana, passwordHash: \"" + DANA_HASH + "\" }] }\n")
                .hasMessageContaining("clients.users[0].name: 'Dana' must be 1-64 lower-case");
        assertRejected("""
                clients:
                  tokens: [{ name: dana, token: "${CI_TOKEN}" }]
                  users: [{ name: dana, passwordHash: "%s" }]
                """.formatted(DANA_HASH)).hasMessageContaining("clients.users[0].name: 'dana' is already the name");
    }

    @Test
    void theLoginSecretMustBeLongAndTheTtlPositive() throws Exception {
        String users = "  users: [{ name: dana, passwordHash: \"" + DANA_HASH + "\" }]\n";
        assertRejected("clients:\n" + users + "  login: { secret: too-short }\n")
                .hasMessageContaining("clients.login.secret: is shorter than 32 characters")
                .hasMessageNotContaining("too-short");
        assertRejected("clients:\n" + users + "  login: { tokenTtl: 0s }\n")
                .hasMessageContaining("clients.login.tokenTtl");
        assertRejected("clients: { login: { tokenTtl: 1d } }\n")
                .hasMessageContaining("clients.login: is set, but no one can log in");
        GatewayConfig c = load("upstreams: [{ id: a, url: \"https://a.example/\" }]\nclients:\n" + users);
        assertThat(c.clients().login()).isEqualTo(ClientTokens.LoginSettings.defaults());
        assertThat(c.defaultAnonymousAccess()).as("users turn authentication on").isEqualTo(RouteConfig.Access.NONE);
    }

    // ---- operations: admin, metrics, logging, shutdown

    @Test
    void theOperationsSettingsAreRead() throws Exception {
        GatewayConfig c = load("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                admin: { token: "${CI_TOKEN}-admin" }
                metrics: { path: /internal/prom, port: 9464, downloadsPackageLabelCap: 25, histograms: false }
                logging: { access: json }
                shutdown: { grace: 7s }
                """);
        OperationsConfig ops = c.operations();
        assertThat(ops.adminToken()).isEqualTo(Secret.of("ci-client-token-value-4-admin"));
        assertThat(ops.metricsPath()).isEqualTo("/internal/prom");
        assertThat(ops.metricsPort()).isEqualTo(9464);
        assertThat(ops.downloadsPackageLabelCap()).isEqualTo(25);
        assertThat(ops.metricsHistograms()).isFalse();
        assertThat(ops.accessLog()).isEqualTo(OperationsConfig.AccessLogFormat.JSON);
        assertThat(ops.shutdownGrace()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void withoutOperationsSettingsTheAdminApiIsOffAndMetricsAreAtSlashMetrics() throws Exception {
        OperationsConfig ops = load("upstreams: [{ id: a, url: \"https://a.example/\" }]\n").operations();
        assertThat(ops).isEqualTo(OperationsConfig.defaults());
        assertThat(ops.adminToken()).isNull();
        assertThat(ops.metricsPath()).isEqualTo("/metrics");
        assertThat(ops.metricsPort()).isNull();
        assertThat(ops.downloadsPackageLabelCap()).isEqualTo(1000);
        assertThat(ops.metricsHistograms()).isTrue();
        assertThat(ops.accessLog()).isEqualTo(OperationsConfig.AccessLogFormat.TEXT);
        assertThat(ops.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void metricsCanBeTurnedOffAndTheLabelCapCanBeZero() throws Exception {
        OperationsConfig ops = load("""
                upstreams: [{ id: a, url: "https://a.example/" }]
                metrics: { enabled: false, downloadsPackageLabelCap: 0 }
                """).operations();
        assertThat(ops.metricsPath()).isNull();
        assertThat(ops.downloadsPackageLabelCap()).isZero();
    }

    @Test
    void badOperationsSettingsAreRejectedNamingTheField() throws Exception {
        String upstreams = "upstreams: [{ id: a, url: \"https://a.example/\" }]\n";
        assertRejected(upstreams + "admin: { token: short }\n")
                .hasMessageContaining("admin.token: must be at least 16 characters")
                .hasMessageNotContaining("short");
        assertRejected(upstreams + "admin: {}\n").hasMessageContaining("admin.token: is required");
        assertRejected(upstreams + "metrics: { path: /-/metrics }\n")
                .hasMessageContaining("metrics.path: '/-/metrics' must be a path such as /metrics, outside /-/");
        assertRejected(upstreams + "metrics: { path: metrics }\n").hasMessageContaining("metrics.path");
        assertRejected(upstreams + "metrics: { port: 70000 }\n").hasMessageContaining("metrics.port");
        assertRejected(upstreams + "metrics: { enabled: maybe }\n")
                .hasMessageContaining("metrics.enabled: 'maybe' is not true or false");
        assertRejected(upstreams + "metrics: { downloadsPackageLabelCap: -1 }\n")
                .hasMessageContaining("metrics.downloadsPackageLabelCap: '-1' must be a whole number, 0 or more");
        assertRejected(upstreams + "metrics: { downloadsPackageLabelCap: lots }\n")
                .hasMessageContaining("metrics.downloadsPackageLabelCap: 'lots' must be a whole number, 0 or more");
        assertRejected(upstreams + "metrics: { histogram: true }\n")
                .hasMessageContaining("metrics.histogram: unknown setting");
        assertRejected(upstreams + "logging: { access: xml }\n")
                .hasMessageContaining("logging.access: 'xml' is not a format; expected text or json");
        assertRejected(upstreams + "shutdown: { grace: soon }\n").hasMessageContaining("shutdown.grace");
    }
}
