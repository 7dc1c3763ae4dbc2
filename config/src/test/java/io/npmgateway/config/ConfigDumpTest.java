package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.npmgateway.config.ConfigOverrides.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No secret reaches a dump or a toString(); the YAML dump reads back. */
class ConfigDumpTest {
    private static final Map<String, String> ENV = Map.of(
            "CORP_TOKEN", "corp-token-value-1",
            "AZURE_PAT", "azure-pat-value-2",
            "LEGACY_AUTH", "bGVnYWN5OmF1dGgtdmFsdWUtMw==",
            "CI_TOKEN", "ci-client-token-value-4",
            "VAULT_TOKEN", "vault-token-value-5",
            "CODEARTIFACT_AUTH_TOKEN", "codeartifact-token-value-6",
            "LOGIN_SECRET", "login-secret-value-8-0123456789abcdef");
    private static final String NPMRC_PAT = "npmrc-azure-pat-value-7";
    private static final List<String> SECRETS = List.of("corp-token-value-1", "azure-pat-value-2",
            "bGVnYWN5OmF1dGgtdmFsdWUtMw==", "ci-client-token-value-4", "vault-token-value-5",
            "codeartifact-token-value-6", NPMRC_PAT,
            java.util.Base64.getEncoder().encodeToString(NPMRC_PAT.getBytes()),
            "login-secret-value-8-0123456789abcdef", ConfigLoaderTest.DANA_HASH.split("\\$")[3]);

    @TempDir
    Path dir;

    private GatewayConfig fullConfig() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), ConfigLoaderTest.FULL);
        return new ConfigLoader(ENV).load(file);
    }

    private GatewayConfig importedConfig() throws Exception {
        Path npmrc = Files.writeString(dir.resolve(".npmrc"), ""
                + "registry=https://mydomain-111122223333.d.codeartifact.example/npm/myrepo/\n"
                + "//mydomain-111122223333.d.codeartifact.example/npm/myrepo/:_authToken=${CODEARTIFACT_AUTH_TOKEN}\n"
                + "@ms:registry=https://pkgs.example/myorg/_packaging/myfeed/npm/registry/\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:username=myorg\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:_password="
                + java.util.Base64.getEncoder().encodeToString(NPMRC_PAT.getBytes()) + "\n");
        return new ConfigLoader(ENV).load(ConfigOverrides.none().with(Setting.NPMRC, "--npmrc", npmrc.toString()));
    }

    /** Every string a careless log line could produce from the configuration. */
    private static List<String> renderings(GatewayConfig c) {
        List<String> out = new ArrayList<>();
        out.add(ConfigDump.yaml(c));
        out.add(ConfigDump.json(c));
        out.add(ConfigDump.oneLine(c));
        out.add(c.toString());
        out.add(String.valueOf(c.clients()));
        for (ClientTokens.ClientToken t : c.clients().tokens()) {
            out.add(t.toString());
            out.add(String.valueOf(t.token()));
        }
        for (ClientTokens.ClientUser u : c.clients().users()) {
            out.add(u.toString());
        }
        out.add(String.valueOf(c.clients().login()));
        for (UpstreamConfig u : c.upstreams()) {
            out.add(u.toString());
            out.add(u.auth().toString());
        }
        return out;
    }

    @Test
    void noSecretAppearsInAnyDumpOrToString() throws Exception {
        for (GatewayConfig c : List.of(fullConfig(), importedConfig())) {
            for (String text : renderings(c)) {
                for (String secret : SECRETS) {
                    assertThat(text).doesNotContain(secret);
                }
            }
        }
    }

    @Test
    void theDumpShowsWhereSecretsAreAndEverythingElse() throws Exception {
        String yaml = ConfigDump.yaml(fullConfig());
        assertThat(yaml).contains("token: '***'").contains("password: '***'").contains("auth: '***'")
                .contains("username: myorg")
                .contains("${VAULT_TOKEN}") // the token command as written
                .contains("domain: mydomain").contains("region: eu-west-1")
                .contains("writeTarget: corp").contains("auditUpstream: public")
                .contains("policy: merge").contains("anonymous: none")
                .contains("maxBytes: 20GB").contains("maxStale: 7d");
        JsonNode json = new ObjectMapper().readTree(ConfigDump.json(fullConfig()));
        assertThat(json.at("/upstreams/0/auth/token").asText()).isEqualTo("***");
        assertThat(json.at("/clients/tokens/0/token").asText()).isEqualTo("***");
        assertThat(json.at("/clients/tokens/0/name").asText()).isEqualTo("ci");
        assertThat(json.at("/clients/users/0/name").asText()).isEqualTo("dana");
        assertThat(json.at("/clients/users/0/passwordHash").asText()).isEqualTo("***");
        assertThat(json.at("/clients/login/secret").asText()).isEqualTo("***");
        assertThat(json.at("/clients/login/tokenTtl").asText()).isEqualTo("12h");
        assertThat(ConfigDump.oneLine(fullConfig())).doesNotContain("\n");

        String imported = ConfigDump.yaml(importedConfig());
        assertThat(imported).contains("type: bearer").contains("type: basic").contains("'***'");
    }

    @Test
    void theYamlDumpIsValidYamlThatLoadsBackToTheSameConfiguration() throws Exception {
        Path file = Files.writeString(dir.resolve("in.yaml"), """
                server: { bind: 0.0.0.0, port: 0, publicUrl: "https://npm.example.internal/npm/", idleTimeout: 90s }
                dataDir: relative/data
                upstreams:
                  - id: aws
                    url: https://mydomain-111122223333.d.codeartifact.example/npm/myrepo/
                    auth: { type: codeartifact, domain: mydomain, domainOwner: "011122223333", region: eu-west-1 }
                    alwaysAuth: false
                    credentialHosts: [files.example.internal]
                    readTimeout: 1500ms
                  - id: cmd
                    url: https://cmd.example/
                    auth: { type: command, command: [print-token, "--for=${HOME_REGISTRY:-x}"], refresh: 90m }
                  - id: public
                    url: https://public.example/
                routes:
                  - { packages: "@corp-*/*", upstreams: [aws], anonymous: read }
                  - { packages: "*", upstreams: [public, cmd], policy: merge }
                writeTarget: aws
                cache: { metadata: { maxAge: 1h, maxMemory: 1000, negativeTtl: 0s } }
                storage: { maxBytes: 1TB }
                metrics: { path: /internal/prom, port: 9464, downloadsPackageLabelCap: 3, histograms: false }
                logging: { access: json }
                shutdown: { grace: 4s }
                """);
        GatewayConfig original = new ConfigLoader(ENV).load(file);
        String yaml = ConfigDump.yaml(original);
        new ObjectMapper(new YAMLFactory()).readTree(yaml); // parses
        Path again = Files.writeString(dir.resolve("again.yaml"), yaml);
        assertThat(new ConfigLoader(ENV).load(again)).isEqualTo(original);

        // The default route is written out, and reads back as an explicit route.
        GatewayConfig defaults = new ConfigLoader(ENV).load(Files.writeString(dir.resolve("d.yaml"),
                "upstreams: [{ id: a, url: \"https://a.example/\" }]\n"));
        GatewayConfig reloaded = new ConfigLoader(ENV).load(
                Files.writeString(dir.resolve("d2.yaml"), ConfigDump.yaml(defaults)));
        assertThat(reloaded.effectiveRoutes()).isEqualTo(defaults.effectiveRoutes());
        assertThat(reloaded.withRoutes(List.of())).isEqualTo(defaults);
    }

    @Test
    void theOperationsSettingsAreDumpedWithTheAdminTokenMasked() throws Exception {
        GatewayConfig config = new ConfigLoader(ENV).load(Files.writeString(dir.resolve("ops.yaml"), """
                upstreams: [{ id: a, url: "https://a.example/" }]
                admin: { token: "${LOGIN_SECRET}" }
                metrics: { enabled: false, downloadsPackageLabelCap: 0 }
                logging: { access: json }
                shutdown: { grace: 90s }
                """));
        JsonNode json = new ObjectMapper().readTree(ConfigDump.json(config));
        assertThat(json.at("/admin/token").asText()).isEqualTo("***");
        assertThat(json.at("/metrics/enabled").asBoolean(true)).isFalse();
        assertThat(json.at("/metrics/path").isMissingNode()).isTrue();
        assertThat(json.at("/metrics/downloadsPackageLabelCap").asInt(-1)).isZero();
        assertThat(json.at("/metrics/histograms").asBoolean(false)).isTrue();
        assertThat(json.at("/logging/access").asText()).isEqualTo("json");
        assertThat(json.at("/shutdown/grace").asText()).isEqualTo("90s");
        for (String text : List.of(ConfigDump.yaml(config), ConfigDump.json(config), ConfigDump.oneLine(config),
                config.toString())) {
            assertThat(text).doesNotContain(ENV.get("LOGIN_SECRET"));
        }

        GatewayConfig defaults = new ConfigLoader(ENV).load(Files.writeString(dir.resolve("defaults.yaml"),
                "upstreams: [{ id: a, url: \"https://a.example/\" }]\n"));
        JsonNode plain = new ObjectMapper().readTree(ConfigDump.json(defaults));
        assertThat(plain.has("admin")).as("no admin section without a token").isFalse();
        assertThat(plain.at("/metrics/path").asText()).isEqualTo("/metrics");
        assertThat(plain.at("/metrics/downloadsPackageLabelCap").asInt()).isEqualTo(1000);
        assertThat(plain.at("/logging/access").asText()).isEqualTo("text");
        assertThat(plain.at("/shutdown/grace").asText()).isEqualTo("30s");
    }
}
