package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.faults.UpstreamStub;
import io.npmgateway.testing.SecretLeaks;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway process started from nothing but {@code .npmrc} files: the pair Azure Artifacts' "Connect to feed" page
 * gives (user file with the feed's credentials, project file with {@code registry=}) and the file
 * {@code aws codeartifact login --tool npm --namespace @corp} writes, each taken verbatim from
 * {@code config/src/test/resources/npmrc/} with only its host moved onto a loopback stub. A client without any
 * credentials installs through it; each stub records what arrives: the Azure feed gets {@code Basic} with the decoded
 * PAT, the CodeArtifact repository gets its {@code Bearer} token, neither sees the other's credential or the other's
 * packages, and {@code @corp/*} is routed to CodeArtifact only.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NpmrcImportTest {
    /** The made-up PAT whose base64 is the fixture's {@code _password}. */
    private static final String AZURE_PAT = "azurepat0123456789abcdefghijklmnopqrstuvwxyzabcdefghijklm";
    private static final String CODEARTIFACT_TOKEN =
            "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.Zm9vYmFyYmF6cXV4.c2lnbmF0dXJl";
    private static final Path FIXTURES = Path.of("..", "config", "src", "test", "resources", "npmrc");
    private static final String FEED = "myorg/_packaging/myfeed/npm/registry/";
    private static final String REPO = "npm/myrepo/";

    @TempDir
    Path tempDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void azuresFilePairAndACodeArtifactLoginFileSendEachCredentialOnlyToItsOwnUpstreamAndRouteTheScope()
            throws Exception {
        String basic = "Basic " + Base64.getEncoder().encodeToString(("myorg:" + AZURE_PAT)
                .getBytes(StandardCharsets.UTF_8));
        SecretLeaks leaks = SecretLeaks.of(CODEARTIFACT_TOKEN).addBasic("myorg", AZURE_PAT);
        Path log = tempDir.resolve("gateway.log");
        try (UpstreamStub azure = new UpstreamStub(); UpstreamStub codeArtifact = new UpstreamStub()) {
            byte[] isOdd = UpstreamStub.randomBytes(4000, 11);
            servePackage(azure, FEED, "is-odd", "is-odd", isOdd);
            byte[] tool = UpstreamStub.randomBytes(6000, 12);
            servePackage(codeArtifact, REPO, "@corp%2ftool", "@corp/tool", tool);
            // The impostor a dependency-confusion attempt would plant in the default registry.
            servePackage(azure, FEED, "@corp%2ftool", "@corp/tool", UpstreamStub.randomBytes(100, 13));

            Path ca = onStub("codeartifact-namespace.npmrc", "mydomain-111122223333.d.codeartifact.example",
                    codeArtifact);
            Path user = onStub("azure-user.npmrc", "pkgs.example", azure);
            Path project = onStub("azure-project.npmrc", "pkgs.example", azure);

            try (ChildGateway gateway = ChildGateway.start(tempDir.resolve("data"), List.of(
                    "--npmrc", ca.toString(), "--npmrc", user.toString(), "--npmrc", project.toString()), log)) {
                assertThat(get(gateway, "is-odd").statusCode()).isEqualTo(200);
                HttpResponse<byte[]> odd = getBytes(gateway, "is-odd/-/is-odd-1.0.0.tgz");
                assertThat(odd.statusCode()).isEqualTo(200);
                assertThat(odd.body()).isEqualTo(isOdd);

                HttpResponse<String> corp = get(gateway, "@corp%2ftool");
                assertThat(corp.statusCode()).isEqualTo(200);
                assertThat(corp.body()).contains(UpstreamStub.integrity(tool));
                HttpResponse<byte[]> corpTarball = getBytes(gateway, "@corp/tool/-/tool-1.0.0.tgz");
                assertThat(corpTarball.statusCode()).isEqualTo(200);
                assertThat(corpTarball.body()).isEqualTo(tool);
                assertThat(get(gateway, "@corp%2fmissing").statusCode()).isEqualTo(404);
            }

            List<RecordedRequest> toAzure = azure.requests();
            List<RecordedRequest> toCodeArtifact = codeArtifact.requests();
            assertThat(toAzure).as("Azure got the packument and the tarball").hasSize(2)
                    .allSatisfy(r -> assertThat(r.getHeaders().get("Authorization")).isEqualTo(basic))
                    .noneSatisfy(r -> assertThat(r.getUrl().encodedPath()).containsIgnoringCase("@corp"));
            assertThat(toCodeArtifact).as("CodeArtifact got @corp/tool, its tarball and @corp/missing").hasSize(3)
                    .allSatisfy(r -> assertThat(r.getHeaders().get("Authorization"))
                            .isEqualTo("Bearer " + CODEARTIFACT_TOKEN))
                    .allSatisfy(r -> assertThat(r.getUrl().encodedPath()).startsWith("/" + REPO + "@corp"));
            SecretLeaks.of(CODEARTIFACT_TOKEN).assertNotSentTo("the Azure feed", toAzure);
            SecretLeaks.of().addBasic("myorg", AZURE_PAT).assertNotSentTo("CodeArtifact", toCodeArtifact);
            leaks.assertNotInProcessOutput(log);
        }
    }

    /** A fixture file with its stand-in host replaced by the stub's loopback address, nothing else changed. */
    private Path onStub(String fixture, String host, UpstreamStub stub) throws Exception {
        String loopback = stub.url().substring("http://".length(), stub.url().length() - 1);
        String text = Files.readString(FIXTURES.resolve(fixture), StandardCharsets.UTF_8)
                .replace("https://" + host + "/", "http://" + loopback + "/")
                .replace("//" + host + "/", "//" + loopback + "/");
        return Files.writeString(tempDir.resolve(fixture), text, StandardCharsets.UTF_8);
    }

    /** Serves one version of {@code name} under {@code prefix}, its tarball under the same prefix. */
    private static void servePackage(UpstreamStub stub, String prefix, String escaped, String name, byte[] tarball) {
        String unscoped = name.substring(name.indexOf('/') + 1);
        String tarballPath = prefix + name + "/-/" + unscoped + "-1.0.0.tgz";
        String doc = "{\"name\":\"" + name + "\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
                + "\"name\":\"" + name + "\",\"version\":\"1.0.0\",\"dist\":{\"integrity\":\""
                + UpstreamStub.integrity(tarball) + "\",\"tarball\":\"" + stub.url() + tarballPath + "\"}}}}";
        byte[] body = doc.getBytes(StandardCharsets.UTF_8);
        stub.packument(prefix + escaped, body);
        stub.packument(prefix + escaped.replace("%2f", "%2F"), body);
        stub.tarball(tarballPath, tarball);
    }

    private HttpResponse<String> get(ChildGateway gateway, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.url().resolve(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getBytes(ChildGateway gateway, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.url().resolve(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}
