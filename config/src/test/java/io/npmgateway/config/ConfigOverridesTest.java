package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.npmgateway.config.ConfigOverrides.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Precedence file &lt; environment &lt; flags, and errors that name the variable or flag. */
class ConfigOverridesTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        return Files.writeString(dir.resolve("gateway.yaml"), text);
    }

    private static GatewayConfig load(Map<String, String> env, ConfigOverrides flags) {
        return new ConfigLoader(env).load(ConfigOverrides.fromEnvironment(env).overriddenBy(flags));
    }

    @Test
    void flagsBeatTheEnvironmentWhichBeatsTheFile() throws Exception {
        Path file = yaml("""
                server: { bind: 10.0.0.1, port: 1111, publicUrl: "https://file.example/" }
                dataDir: /from/file
                upstreams: [{ id: corp, url: "https://corp.example/" }]
                """);
        Map<String, String> env = Map.of(
                "NPM_GATEWAY_CONFIG", file.toString(),
                "NPM_GATEWAY_PORT", "2222",
                "NPM_GATEWAY_BIND", "10.0.0.2",
                "NPM_GATEWAY_DATA_DIR", "/from/env",
                "NPM_GATEWAY_PUBLIC_URL", "https://env.example/npm");

        GatewayConfig envOnly = load(env, ConfigOverrides.none());
        assertThat(envOnly.server().port()).isEqualTo(2222);
        assertThat(envOnly.server().bind()).isEqualTo("10.0.0.2");
        assertThat(envOnly.server().publicUrl()).isEqualTo("https://env.example/npm/");
        assertThat(envOnly.dataDir()).isEqualTo(Path.of("/from/env"));
        assertThat(envOnly.upstreams()).extracting(UpstreamConfig::id).containsExactly("corp");

        GatewayConfig withFlags = load(env, ConfigOverrides.none()
                .with(Setting.PORT, "--port", "3333")
                .with(Setting.DATA_DIR, "--data-dir", "/from/flag"));
        assertThat(withFlags.server().port()).isEqualTo(3333);
        assertThat(withFlags.server().bind()).isEqualTo("10.0.0.2");
        assertThat(withFlags.dataDir()).isEqualTo(Path.of("/from/flag"));

        GatewayConfig fileOnly = load(Map.of(), ConfigOverrides.none().with(Setting.CONFIG_FILE, "--config",
                file.toString()));
        assertThat(fileOnly.server().port()).isEqualTo(1111);
        assertThat(fileOnly.dataDir()).isEqualTo(Path.of("/from/file"));
    }

    @Test
    void theConfigFlagBeatsTheConfigVariable() throws Exception {
        Path file = yaml("server: { port: 1111 }\n");
        GatewayConfig c = load(Map.of("NPM_GATEWAY_CONFIG", dir.resolve("absent.yaml").toString()),
                ConfigOverrides.none().with(Setting.CONFIG_FILE, "--config", file.toString()));
        assertThat(c.server().port()).isEqualTo(1111);
    }

    @Test
    void upstreamUrlsFromTheEnvironmentAreCommaSeparatedAndReplaceUpstreamsAndRoutes() throws Exception {
        Path file = yaml("""
                upstreams: [{ id: corp, url: "https://corp.example/" }]
                routes: [{ packages: "@corp/*", upstreams: [corp] }]
                """);
        GatewayConfig c = load(Map.of("NPM_GATEWAY_CONFIG", file.toString(),
                "NPM_GATEWAY_UPSTREAM", "https://a.example, https://b.example/ ,"), ConfigOverrides.none());
        assertThat(c.upstreams()).containsExactly(UpstreamConfig.of("upstream1", "https://a.example/"),
                UpstreamConfig.of("upstream2", "https://b.example/"));
        assertThat(c.routes()).isEmpty();
        assertThat(c.effectiveRoutes()).singleElement().extracting(RouteConfig::upstreamIds)
                .isEqualTo(List.of("upstream1", "upstream2"));

        GatewayConfig flag = load(Map.of("NPM_GATEWAY_UPSTREAM", "https://a.example,https://b.example"),
                ConfigOverrides.none().with(Setting.UPSTREAMS, "--upstream", List.of("https://c.example")));
        assertThat(flag.upstreams()).containsExactly(UpstreamConfig.of("upstream", "https://c.example/"));
    }

    @Test
    void anNpmrcReplacesTheFilesUpstreamsAndRoutesAndKeepsTheRest() throws Exception {
        Path file = yaml("""
                server: { port: 1111 }
                upstreams: [{ id: corp, url: "https://corp.example/" }]
                routes: [{ packages: "@corp/*", upstreams: [corp] }]
                writeTarget: corp
                """);
        Path npmrc = Files.writeString(dir.resolve(".npmrc"), ""
                + "@corp:registry=https://pkgs.example/myorg/_packaging/myfeed/npm/registry/\n"
                + "registry=https://registry.example.internal/\n");
        ConfigOverrides flags = ConfigOverrides.none()
                .with(Setting.CONFIG_FILE, "--config", file.toString())
                .with(Setting.NPMRC, "--npmrc", npmrc.toString());
        GatewayConfig c = load(Map.of(), flags);
        assertThat(c.server().port()).isEqualTo(1111);
        assertThat(c.upstreams()).extracting(UpstreamConfig::id).containsExactly("npm", "corp");
        assertThat(c.routes()).extracting(RouteConfig::pattern).containsExactly("@corp/*", "*");
        assertThat(c.writeTarget()).isEqualTo("corp"); // the imported upstream of the same id

        Path other = yaml("upstreams: [{ id: mine, url: \"https://mine.example/\" }]\nwriteTarget: mine\n");
        assertThatThrownBy(() -> load(Map.of(), ConfigOverrides.none()
                .with(Setting.CONFIG_FILE, "--config", other.toString())
                .with(Setting.NPMRC, "--npmrc", npmrc.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessage(other + ": writeTarget: 'mine' is not an upstream: the upstreams come from --npmrc "
                        + npmrc + " and are [npm, corp]");
    }

    @Test
    void severalNpmrcFilesFromTheEnvironmentOrRepeatedFlagsAreLayeredLaterOverEarlier() throws Exception {
        Path user = Path.of(getClass().getResource("/npmrc/azure-user.npmrc").toURI());
        Path project = Path.of(getClass().getResource("/npmrc/azure-project.npmrc").toURI());
        Path codeArtifact = Path.of(getClass().getResource("/npmrc/codeartifact-namespace.npmrc").toURI());
        String list = String.join(java.io.File.pathSeparator, codeArtifact.toString(), user.toString(),
                project.toString());
        GatewayConfig fromEnv = load(Map.of("NPM_GATEWAY_NPMRC", list), ConfigOverrides.none());
        GatewayConfig fromFlags = load(Map.of(), ConfigOverrides.none().with(Setting.NPMRC, "--npmrc",
                List.of(codeArtifact.toString(), user.toString(), project.toString())));
        for (GatewayConfig c : List.of(fromEnv, fromFlags)) {
            assertThat(c.upstreams()).extracting(UpstreamConfig::id).containsExactly("npm", "corp");
            assertThat(c.upstreams().get(0).url())
                    .isEqualTo("https://pkgs.example/myorg/_packaging/myfeed/npm/registry/");
            assertThat(c.upstreams().get(0).auth()).isInstanceOf(UpstreamAuth.Basic.class);
            assertThat(c.upstreams().get(1).auth()).isInstanceOf(UpstreamAuth.Bearer.class);
            assertThat(c.routes()).extracting(RouteConfig::pattern).containsExactly("@corp/*", "*");
        }
        assertThat(fromEnv).isEqualTo(fromFlags);
        Path missing = dir.resolve("missing.npmrc");
        assertThatThrownBy(() -> load(Map.of("NPM_GATEWAY_NPMRC", user + java.io.File.pathSeparator + missing),
                ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("NPM_GATEWAY_NPMRC: " + missing + ": file not found");
    }

    @Test
    void importedRoutesGetTheConfiguredDefaultAccess() throws Exception {
        Path file = yaml("clients: { tokens: [{ name: ci, token: \"0123456789abcdef\" }] }\n");
        Path npmrc = Files.writeString(dir.resolve(".npmrc"), "registry=https://registry.example.internal/\n");
        GatewayConfig c = load(Map.of("NPM_GATEWAY_CONFIG", file.toString(), "NPM_GATEWAY_NPMRC", npmrc.toString()),
                ConfigOverrides.none());
        assertThat(c.routes()).singleElement().extracting(RouteConfig::anonymous).isEqualTo(RouteConfig.Access.NONE);
    }

    @Test
    void anNpmrcWithoutRegistryAsksTheLoadersNpmDefault() throws Exception {
        Path npmrc = Files.writeString(dir.resolve(".npmrc"), "@corp:registry=https://corp.example/\n");
        GatewayConfig c = new ConfigLoader(Map.of(), () -> Optional.of("https://default.example/"))
                .load(ConfigOverrides.none().with(Setting.NPMRC, "--npmrc", npmrc.toString()));
        assertThat(c.upstreams()).extracting(UpstreamConfig::url)
                .containsExactly("https://default.example/", "https://corp.example/");
    }

    @Test
    void aFlagForTheUpstreamsReplacesAnNpmrcFromTheEnvironment() throws Exception {
        Path npmrc = Files.writeString(dir.resolve(".npmrc"), "registry=https://registry.example.internal/\n");
        GatewayConfig c = load(Map.of("NPM_GATEWAY_NPMRC", npmrc.toString()),
                ConfigOverrides.none().with(Setting.UPSTREAMS, "--upstream", List.of("https://c.example/")));
        assertThat(c.upstreams()).extracting(UpstreamConfig::id).containsExactly("upstream");
    }

    @Test
    void upstreamsAndAnNpmrcInOneLayerAreAnError() {
        assertThatThrownBy(() -> ConfigOverrides.none()
                .with(Setting.UPSTREAMS, "--upstream", List.of("https://a.example/"))
                .with(Setting.NPMRC, "--npmrc", "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--upstream and --npmrc both define the upstreams; use one of them");
    }

    @Test
    void badValuesNameTheirVariableOrFlag() {
        assertThatThrownBy(() -> load(Map.of("NPM_GATEWAY_PORT", "http"), ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("NPM_GATEWAY_PORT: server.port: 'http' is not a port number (0-65535)");
        assertThatThrownBy(() -> load(Map.of(), ConfigOverrides.none().with(Setting.PORT, "--port", "-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--port: server.port: '-1' is not a port number (0-65535)");
        assertThatThrownBy(() -> load(Map.of("NPM_GATEWAY_UPSTREAM", "https://a.example,b.example"),
                ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("NPM_GATEWAY_UPSTREAM: upstreams[1].url: 'b.example' must be an http://");
        assertThatThrownBy(() -> load(Map.of("NPM_GATEWAY_PUBLIC_URL", "https://u:p4ss@x.example/"),
                ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("NPM_GATEWAY_PUBLIC_URL: server.publicUrl: credentials must not be written");
        assertThatThrownBy(() -> load(Map.of("NPM_GATEWAY_BIND", "a b"), ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("NPM_GATEWAY_BIND: server.bind: 'a b' is not an address to listen on");
    }

    @Test
    void missingFilesNameTheSettingThatPointedAtThem() {
        assertThatThrownBy(() -> load(Map.of("NPM_GATEWAY_CONFIG", dir.resolve("absent.yaml").toString()),
                ConfigOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("NPM_GATEWAY_CONFIG: " + dir.resolve("absent.yaml") + ": file not found");
        assertThatThrownBy(() -> load(Map.of(),
                ConfigOverrides.none().with(Setting.NPMRC, "--npmrc", dir.resolve("absent.npmrc").toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--npmrc: " + dir.resolve("absent.npmrc") + ": file not found");
    }

    @Test
    void emptyVariablesCountAsUnset() {
        GatewayConfig c = load(Map.of("NPM_GATEWAY_PORT", "", "NPM_GATEWAY_UPSTREAM", " "), ConfigOverrides.none());
        assertThat(c).isEqualTo(ConfigLoader.defaults());
    }
}
