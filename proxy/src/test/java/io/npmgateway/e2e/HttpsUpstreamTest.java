package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.faults.UpstreamStub;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An https upstream, as every hosted registry is: a gateway process that trusts a test CA (through the JVM's
 * standard {@code javax.net.ssl.trustStore}, the way an operator adds a corporate CA) fetches packuments and tarballs
 * over TLS, and refuses, with a 502 naming the upstream, a certificate that the CA signed for another host.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HttpsUpstreamTest {
    private static final HeldCertificate CA = new HeldCertificate.Builder()
            .certificateAuthority(0).commonName("npm-gateway test CA").build();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void packumentAndTarballComeOverHttpsFromAnUpstreamWhoseCertificateTheTrustStoreVouchesFor() throws Exception {
        byte[] tarball = UpstreamStub.randomBytes(300_000, 7);
        try (UpstreamStub upstream = new UpstreamStub(serverTls("127.0.0.1"));
             ChildGateway gateway = start(upstream)) {
            String tarballPath = upstream.publish("secure-pkg", "1.0.0", tarball);
            assertThat(upstream.url()).startsWith("https://");

            HttpResponse<String> packument = http.send(get(gateway, "secure-pkg"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(packument.statusCode()).as(packument.body() + "\n" + gateway.output()).isEqualTo(200);
            assertThat(packument.body()).contains("\"tarball\":\"" + gateway.url() + tarballPath + "\"")
                    .doesNotContain(upstream.url());

            HttpResponse<byte[]> download = http.send(get(gateway, tarballPath),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(download.statusCode()).isEqualTo(200);
            assertThat(download.body()).isEqualTo(tarball);
            assertThat(upstream.hits("secure-pkg")).isEqualTo(1);
            assertThat(upstream.hits(tarballPath)).isEqualTo(1);
        }
    }

    @Test
    void aCertificateForAnotherHostGives502NamingTheUpstreamAndTheTlsFailure() throws Exception {
        try (UpstreamStub upstream = new UpstreamStub(serverTls("registry.elsewhere.example"));
             ChildGateway gateway = start(upstream)) {
            upstream.publish("secure-pkg", "1.0.0", UpstreamStub.randomBytes(1000, 8));

            HttpResponse<String> packument = http.send(get(gateway, "secure-pkg"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(packument.statusCode()).as(packument.body()).isEqualTo(502);
            assertThat(packument.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(packument.body()).startsWith("{\"error\":").contains("upstream '")
                    .contains("TLS handshake failed").contains("secure-pkg").doesNotContain("\tat ");
            assertThat(upstream.hits("secure-pkg")).as("no request is sent over a connection that failed the check")
                    .isZero();
            assertThat(gateway.isAlive()).isTrue();
        }
    }

    private ChildGateway start(UpstreamStub upstream) throws Exception {
        Path trustStore = dir.resolve("truststore.p12");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("test-ca", CA.certificate());
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            store.store(out, "changeit".toCharArray());
        }
        return ChildGateway.start(List.of("-Djavax.net.ssl.trustStore=" + trustStore,
                        "-Djavax.net.ssl.trustStorePassword=changeit", "-Djavax.net.ssl.trustStoreType=PKCS12"),
                dir.resolve("data"), List.of("--upstream", upstream.url()), dir.resolve("gateway.log"));
    }

    /** A server certificate for {@code host} (a name or an IP address), signed by the test CA. */
    private static javax.net.ssl.SSLSocketFactory serverTls(String host) {
        HeldCertificate server = new HeldCertificate.Builder().commonName(host).addSubjectAlternativeName(host)
                .signedBy(CA).build();
        return new HandshakeCertificates.Builder().heldCertificate(server, CA.certificate()).build()
                .sslSocketFactory();
    }

    private static HttpRequest get(ChildGateway gateway, String path) {
        return HttpRequest.newBuilder(URI.create(gateway.url() + path)).timeout(Duration.ofSeconds(30)).build();
    }
}
