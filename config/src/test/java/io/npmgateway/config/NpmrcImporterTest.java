package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .npmrc} files as the tools that write them write them, and npm's reading rules. */
class NpmrcImporterTest {
    private static final String CA_HOST = "mydomain-111122223333.d.codeartifact.example";
    private static final String CA_URL = "https://" + CA_HOST + "/npm/myrepo/";
    private static final String CA_TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.Zm9vYmFyYmF6cXV4.c2lnbmF0dXJl";
    private static final String AZURE_URL = "https://pkgs.example/myorg/_packaging/myfeed/npm/registry/";
    private static final String PAT = "azurepat0123456789abcdefghijklmnopqrstuvwxyzabcdefghijklm";
    private static final String PAT_BASE64 =
            "YXp1cmVwYXQwMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWZnaGlqa2xt";

    @TempDir
    Path dir;

    private NpmrcImporter.Result importText(Map<String, String> env, String text) throws Exception {
        Path file = Files.writeString(dir.resolve(".npmrc"), text, StandardCharsets.UTF_8);
        return new NpmrcImporter(env).importFile(file);
    }

    private static Path fixture(String name) throws Exception {
        return Path.of(NpmrcImporterTest.class.getResource("/npmrc/" + name).toURI());
    }

    private static UpstreamConfig only(NpmrcImporter.Result result) {
        assertThat(result.upstreams()).hasSize(1);
        return result.upstreams().get(0);
    }

    @Test
    void codeArtifactLoginFileWithTheTokenReferencedFromTheEnvironment() throws Exception {
        NpmrcImporter.Result result = importText(Map.of("CODEARTIFACT_AUTH_TOKEN", CA_TOKEN), ""
                + "registry=" + CA_URL + "\n"
                + "//" + CA_HOST + "/npm/myrepo/:_authToken=${CODEARTIFACT_AUTH_TOKEN}\n");

        UpstreamConfig u = only(result);
        assertThat(u.id()).isEqualTo("npm");
        assertThat(u.url()).isEqualTo(CA_URL);
        assertThat(u.auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of(CA_TOKEN)));
        assertThat(u.alwaysAuth()).isTrue();
        assertThat(result.routes()).containsExactly(new RouteConfig("*", List.of("npm")));
        assertThat(result.notes()).isEmpty();
    }

    @Test
    void codeArtifactLoginFileWithALiteralTokenAndItsAlwaysAuthLine() throws Exception {
        // What `aws codeartifact login --tool npm` leaves in ~/.npmrc (through `npm config set`).
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=" + CA_URL + "\n"
                + "//" + CA_HOST + "/npm/myrepo/:always-auth=true\n"
                + "//" + CA_HOST + "/npm/myrepo/:_authToken=" + CA_TOKEN + "\n");

        UpstreamConfig u = only(result);
        assertThat(u.auth()).isInstanceOf(UpstreamAuth.Bearer.class);
        assertThat(((UpstreamAuth.Bearer) u.auth()).token().reveal()).isEqualTo(CA_TOKEN);
        assertThat(u.alwaysAuth()).isTrue();
        assertThat(result.notes()).isEmpty();
    }

    @Test
    void codeArtifactFileWithTopLevelAlwaysAuthAndANamespace() throws Exception {
        NpmrcImporter.Result result = importText(Map.of("CODEARTIFACT_AUTH_TOKEN", CA_TOKEN), ""
                + "always-auth=true\n"
                + "@corp:registry=" + CA_URL + "\n"
                + "//" + CA_HOST + "/npm/myrepo/:_authToken=${CODEARTIFACT_AUTH_TOKEN}\n"
                + "registry=https://registry.example.internal/\n");

        assertThat(result.upstreams()).extracting(UpstreamConfig::id).containsExactly("npm", "corp");
        assertThat(result.upstreams().get(0).auth()).isEqualTo(UpstreamAuth.NONE);
        assertThat(result.upstreams().get(1).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of(CA_TOKEN)));
        assertThat(result.routes()).containsExactly(
                new RouteConfig("@corp/*", List.of("corp")),
                new RouteConfig("*", List.of("npm")));
    }

    @Test
    void alwaysAuthFalseIsKept() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=" + CA_URL + "\n"
                + "always-auth=false\n"
                + "//" + CA_HOST + "/npm/myrepo/:_authToken=" + CA_TOKEN + "\n");
        assertThat(only(result).alwaysAuth()).isFalse();
    }

    private static String azureFile(String password) {
        // The shape of Azure Artifacts' "Connect to feed" instructions, including their comment lines.
        return ""
                + "; begin auth token\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:username=myorg\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:_password=" + password + "\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:email=npm requires email to be set but "
                + "doesn't use the value\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/:username=myorg\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/:_password=" + password + "\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/:email=npm requires email to be set but doesn't "
                + "use the value\n"
                + "; end auth token\n";
    }

    @Test
    void azureArtifactsFileWithABase64PersonalAccessToken() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=" + AZURE_URL + "\n"
                + "                        \n"
                + "always-auth=true\n"
                + azureFile(PAT_BASE64));

        UpstreamConfig u = only(result);
        assertThat(u.url()).isEqualTo(AZURE_URL);
        assertThat(u.alwaysAuth()).isTrue();
        UpstreamAuth.Basic basic = (UpstreamAuth.Basic) u.auth();
        assertThat(basic.username()).isEqualTo("myorg");
        assertThat(basic.password().reveal()).isEqualTo(PAT); // decoded, as npm does before building the header
        assertThat(result.routes()).containsExactly(new RouteConfig("*", List.of("npm")));
        assertThat(result.notes()).isEmpty();
    }

    @Test
    void azureArtifactsFileWithThePasswordFromTheEnvironment() throws Exception {
        NpmrcImporter.Result result = importText(Map.of("AZURE_PAT_B64", PAT_BASE64),
                "registry=" + AZURE_URL + "\nalways-auth=true\n" + azureFile("${AZURE_PAT_B64}"));
        assertThat(((UpstreamAuth.Basic) only(result).auth()).password().reveal()).isEqualTo(PAT);
    }

    @Test
    void azuresProjectAndUserFilesAsThePageGivesThemWorkTogetherUnchanged() throws Exception {
        NpmrcImporter.Result result = new NpmrcImporter(Map.of())
                .importFiles(List.of(fixture("azure-user.npmrc"), fixture("azure-project.npmrc")));

        UpstreamConfig u = only(result);
        assertThat(u.url()).isEqualTo(AZURE_URL);
        assertThat(u.alwaysAuth()).isTrue();
        UpstreamAuth.Basic basic = (UpstreamAuth.Basic) u.auth();
        assertThat(basic.username()).isEqualTo("myorg");
        assertThat(basic.password().reveal()).isEqualTo(PAT);
        assertThat(result.routes()).containsExactly(new RouteConfig("*", List.of("npm")));
        assertThat(result.notes()).isEmpty();
    }

    @Test
    void azuresOrganisationSubdomainHostFormWorksTheSameWay() throws Exception {
        // The legacy feed URL form: the organisation in the host name, no organisation segment in the path.
        String url = "https://myorg.pkgs.example/_packaging/myfeed/npm/registry/";
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=" + url + "\n"
                + "always-auth=true\n"
                + "; begin auth token\n"
                + "//myorg.pkgs.example/_packaging/myfeed/npm/registry/:username=myorg\n"
                + "//myorg.pkgs.example/_packaging/myfeed/npm/registry/:_password=" + PAT_BASE64 + "\n"
                + "//myorg.pkgs.example/_packaging/myfeed/npm/registry/:email=npm requires email to be set but "
                + "doesn't use the value\n"
                + "//myorg.pkgs.example/_packaging/myfeed/npm/:username=myorg\n"
                + "//myorg.pkgs.example/_packaging/myfeed/npm/:_password=" + PAT_BASE64 + "\n"
                + "//myorg.pkgs.example/_packaging/myfeed/npm/:email=npm requires email to be set but doesn't "
                + "use the value\n"
                + "; end auth token\n");
        UpstreamConfig u = only(result);
        assertThat(u.url()).isEqualTo(url);
        assertThat(u.auth()).isEqualTo(new UpstreamAuth.Basic("myorg", Secret.of(PAT)));
        assertThat(result.notes()).isEmpty();
    }

    @Test
    void eitherAzureFileAloneIsNotTheFeedWithItsCredentials() throws Exception {
        // Why the gateway takes both: the project file has no credentials, the user file no registry.
        assertThat(only(new NpmrcImporter(Map.of()).importFile(fixture("azure-project.npmrc"))).auth())
                .isEqualTo(UpstreamAuth.NONE);
        assertThatThrownBy(() -> new NpmrcImporter(Map.of()).importFile(fixture("azure-user.npmrc")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no registry= line");
    }

    @Test
    void aLaterFileReplacesAnEarlierFilesKeysOneByOneAndErrorsNameTheFileTheyCameFrom() throws Exception {
        Path user = Files.writeString(dir.resolve("user.npmrc"), ""
                + "registry=https://registry.example.internal/\n"
                + "always-auth=false\n"
                + "//registry.example.internal/:_authToken=user-token\n"
                + "//tools.example.internal/:_authToken=tools-token\n");
        Path project = Files.writeString(dir.resolve("project.npmrc"), ""
                + "@tools:registry=https://tools.example.internal/\n"
                + "always-auth=true\n"
                + "//registry.example.internal/:_authToken=project-token\n");
        NpmrcImporter.Result result = new NpmrcImporter(Map.of()).importFiles(List.of(user, project));
        assertThat(result.upstreams()).extracting(UpstreamConfig::id).containsExactly("npm", "tools");
        assertThat(result.upstreams().get(0).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("project-token")));
        assertThat(result.upstreams().get(0).alwaysAuth()).isTrue();
        assertThat(result.upstreams().get(1).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("tools-token")));

        Path badUser = Files.writeString(dir.resolve("bad-user.npmrc"), "\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:username=myorg\n"
                + "//pkgs.example/myorg/_packaging/myfeed/npm/registry/:_password=not base64!\n");
        assertThatThrownBy(() -> new NpmrcImporter(Map.of())
                .importFiles(List.of(badUser, fixture("azure-project.npmrc"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(badUser + ":3: //pkgs.example/myorg/_packaging/myfeed/npm/registry/:_password")
                .hasMessageContaining("is not base64");
    }

    @Test
    void theCodeArtifactNamespaceFileLayeredWithAzuresPairRoutesTheScopeToCodeArtifact() throws Exception {
        NpmrcImporter.Result result = new NpmrcImporter(Map.of()).importFiles(List.of(
                fixture("codeartifact-namespace.npmrc"), fixture("azure-user.npmrc"), fixture("azure-project.npmrc")));
        assertThat(result.upstreams()).extracting(UpstreamConfig::id, UpstreamConfig::url).containsExactly(
                org.assertj.core.groups.Tuple.tuple("npm", AZURE_URL),
                org.assertj.core.groups.Tuple.tuple("corp", CA_URL));
        assertThat(result.upstreams().get(1).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of(CA_TOKEN)));
        assertThat(result.upstreams().get(0).auth()).isInstanceOf(UpstreamAuth.Basic.class);
        assertThat(result.routes()).containsExactly(
                new RouteConfig("@corp/*", List.of("corp")),
                new RouteConfig("*", List.of("npm")));
        assertThat(result.notes()).isEmpty();
    }

    @Test
    void aPasswordThatIsNotBase64IsAnErrorThatSaysHowToEncodeIt() {
        String rawPat = "k7xq2m4vt9zrw3ab5cd6ef7gh8ij9kl0mn1op2qr3st4uv5wx6yz7a";
        assertThatThrownBy(() -> importText(Map.of(), "registry=" + AZURE_URL + "\n" + azureFile(rawPat)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(".npmrc:4: //pkgs.example/myorg/_packaging/myfeed/npm/registry/:_password")
                .hasMessageContaining("base64")
                .message().doesNotContain(rawPat);
        assertThatThrownBy(() -> importText(Map.of(), "registry=" + AZURE_URL + "\n" + azureFile("not base64!")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not base64");
    }

    @Test
    void severalScopesOneUpstreamPerDistinctRegistryScopesFirst() throws Exception {
        NpmrcImporter.Result result = importText(Map.of("A", "token-a", "B", "token-b"), ""
                + "@corp:registry=https://registry.example.internal/npm/corp/\n"
                + "@corp-ui:registry=https://registry.example.internal/npm/corp\n"   // same registry, no slash
                + "@tools:registry=https://tools.example.internal:8443/npm/\n"
                + "@public:registry=https://public.example/\n"                        // the default registry
                + "registry=https://public.example/\n"
                + "//registry.example.internal/npm/corp/:_authToken=${A}\n"
                + "//tools.example.internal:8443/:_authToken=${B}\n");

        assertThat(result.upstreams()).extracting(UpstreamConfig::id).containsExactly("npm", "corp", "tools");
        assertThat(result.upstreams()).extracting(UpstreamConfig::url).containsExactly(
                "https://public.example/", "https://registry.example.internal/npm/corp/",
                "https://tools.example.internal:8443/npm/");
        assertThat(result.upstreams().get(1).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("token-a")));
        assertThat(result.upstreams().get(2).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("token-b")));
        assertThat(result.routes()).containsExactly(
                new RouteConfig("@corp/*", List.of("corp")),
                new RouteConfig("@corp-ui/*", List.of("corp")),
                new RouteConfig("@tools/*", List.of("tools")),
                new RouteConfig("@public/*", List.of("npm")),
                new RouteConfig("*", List.of("npm")));
    }

    @Test
    void aScopeNamedLikeAnExistingUpstreamGetsASuffix() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=https://public.example/\n"
                + "@npm:registry=https://a.example/\n");
        assertThat(result.upstreams()).extracting(UpstreamConfig::id).containsExactly("npm", "npm-2");
    }

    @Test
    void theLongestMatchingPrefixWinsAndDefaultPortsAreNotPartOfTheKey() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=https://registry.example.internal:443/npm/repo/\n"
                + "//registry.example.internal/:_authToken=host-wide\n"
                + "//registry.example.internal/npm/repo/:_authToken=repo-only\n"
                + "//registry.example.internal/npm/repo/deeper/:_authToken=too-deep\n");
        assertThat(only(result).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("repo-only")));

        NpmrcImporter.Result hostWide = importText(Map.of(), ""
                + "registry=https://registry.example.internal/npm/repo\n"
                + "//registry.example.internal/:_authToken=host-wide\n"
                + "//registry.example.internal:8443/npm/repo/:_authToken=other-port\n");
        assertThat(only(hostWide).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("host-wide")));
        assertThat(only(hostWide).url()).isEqualTo("https://registry.example.internal/npm/repo/");
    }

    @Test
    void aKeyWithoutTheTrailingSlashMatchesAsInNpm() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=https://registry.example.internal/npm/repo/\n"
                + "//registry.example.internal/npm/repo:_authToken=no-slash\n");
        assertThat(only(result).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("no-slash")));
    }

    @Test
    void atOneKeyATokenBeatsAuthWhichBeatsUsernameAndPassword() throws Exception {
        String key = "//registry.example.internal/";
        String registry = "registry=https://registry.example.internal/\n";
        String basic = key + ":username=jdoe\n" + key + ":_password="
                + Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)) + "\n";
        String legacy = key + ":_auth=amRvZTpzM2NyZXQtUGE1NQ==\n";
        String token = key + ":_authToken=tok\n";

        assertThat(only(importText(Map.of(), registry + basic + legacy + token)).auth())
                .isEqualTo(new UpstreamAuth.Bearer(Secret.of("tok")));
        assertThat(only(importText(Map.of(), registry + basic + legacy)).auth())
                .isEqualTo(new UpstreamAuth.LegacyAuth(Secret.of("amRvZTpzM2NyZXQtUGE1NQ==")));
        assertThat(only(importText(Map.of(), registry + basic)).auth())
                .isEqualTo(new UpstreamAuth.Basic("jdoe", Secret.of("s3cret")));
        // A user name without a password is no credential at all.
        assertThat(only(importText(Map.of(), registry + key + ":username=jdoe\n")).auth())
                .isEqualTo(UpstreamAuth.NONE);
    }

    @Test
    void commentsQuotesAndWhitespaceAreReadAsNpmReadsThem() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), "\uFEFF"
                + "# a comment\r\n"
                + "   ; another comment, indented\r\n"
                + "  registry = https://registry.example.internal/  ; trailing comment\r\n"
                + "//registry.example.internal/:_authToken = \"tok;with#specials\"\r\n"
                + "@a:registry='https://a.example/'\r\n"
                + "//a.example/:_authToken=esc\\;aped # comment\r\n"
                + "\r\n"
                + "[section]\r\n"
                + "ignored=1\r\n");
        assertThat(result.upstreams()).extracting(UpstreamConfig::url)
                .containsExactly("https://registry.example.internal/", "https://a.example/");
        assertThat(result.upstreams().get(0).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("tok;with#specials")));
        assertThat(result.upstreams().get(1).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("esc;aped")));
        assertThat(result.notes()).singleElement().asString().contains("[section]ignored");
    }

    @Test
    void theLastOfRepeatedKeysWins() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=https://old.example/\n"
                + "registry=https://registry.example.internal/\n");
        assertThat(only(result).url()).isEqualTo("https://registry.example.internal/");
    }

    @Test
    void aMissingVariableIsAnErrorNamingItAndTheLine() {
        assertThatThrownBy(() -> importText(Map.of(), ""
                + "registry=" + CA_URL + "\n"
                + "//" + CA_HOST + "/npm/myrepo/:_authToken=${CODEARTIFACT_AUTH_TOKEN}\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(".npmrc:2")
                .hasMessageContaining("CODEARTIFACT_AUTH_TOKEN is not set");
    }

    @Test
    void optionalAndEscapedVariablesFollowNpm() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=https://registry.example.internal/\n"
                + "//registry.example.internal/:_authToken=${UNSET_TOKEN?}\n");
        assertThat(only(result).auth()).isEqualTo(UpstreamAuth.NONE); // empty counts as absent, as in npm

        NpmrcImporter.Result escaped = importText(Map.of("T", "x"), ""
                + "registry=https://registry.example.internal/\n"
                + "//registry.example.internal/:_authToken=\\${T}-${T}\n");
        assertThat(only(escaped).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("${T}-x")));
    }

    @Test
    void variablesInKeysAreExpandedToo() throws Exception {
        NpmrcImporter.Result result = importText(Map.of("REG_HOST", "registry.example.internal", "T", "tok"), ""
                + "registry=https://${REG_HOST}/\n"
                + "//${REG_HOST}/:_authToken=${T}\n");
        assertThat(only(result).auth()).isEqualTo(new UpstreamAuth.Bearer(Secret.of("tok")));
    }

    @Test
    void topLevelCredentialsAreRejectedAsNpm9RejectsThem() {
        assertThatThrownBy(() -> importText(Map.of(), "registry=https://registry.example.internal/\n"
                + "_authToken=secret-value\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(".npmrc:2: _authToken: credentials must be written for a registry")
                .message().doesNotContain("secret-value");
    }

    @Test
    void withoutARegistryLineTheRegistryNpmUsesIsAskedFor() throws Exception {
        Path file = Files.writeString(dir.resolve("scoped.npmrc"), "@corp:registry=https://corp.example/\n");
        NpmrcImporter.Result result = new NpmrcImporter(Map.of(),
                () -> Optional.of("https://default.example")).importFile(file);
        assertThat(result.upstreams()).extracting(UpstreamConfig::url)
                .containsExactly("https://default.example/", "https://corp.example/");

        assertThatThrownBy(() -> new NpmrcImporter(Map.of()).importFile(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("scoped.npmrc: registry: the file has no registry= line");
    }

    @Test
    void unusedSettingsAreNotedByKeyNeverByValue() throws Exception {
        NpmrcImporter.Result result = importText(Map.of(), ""
                + "registry=https://registry.example.internal/\n"
                + "strict-ssl=false\n"
                + "//elsewhere.example/:_authToken=unused-secret\n");
        assertThat(result.notes()).hasSize(2);
        assertThat(String.join("\n", result.notes())).contains("strict-ssl", "//elsewhere.example/:_authToken")
                .doesNotContain("unused-secret");
    }

    @Test
    void aBadRegistryUrlNamesFileLineAndKey() {
        assertThatThrownBy(() -> importText(Map.of(), "\n@corp:registry=ftp://corp.example/\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(".npmrc:2: @corp:registry: 'ftp://corp.example/' must be an http:// or https://");
    }

    @Test
    void aMissingFileSaysSo() {
        assertThatThrownBy(() -> new NpmrcImporter(Map.of()).importFile(dir.resolve("nope")))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("nope: file not found");
    }
}
