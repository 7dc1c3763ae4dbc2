package io.npmgateway.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestCodecTest {
    private static final TarballDigests DIGESTS = new TarballDigests(new byte[64], new byte[20]);

    @TempDir
    Path dir;

    @Test
    void theOriginUpstreamIsKeptWithTheManifestAcrossAReopen() {
        try (GatewayStore store = GatewayStore.open(new StoreOptions(dir))) {
            TarballWriter w = store.tarballs().begin("a/-/a-1.0.0.tgz", "corp");
            w.append(new byte[] {1, 2, 3});
            w.commit(ExpectedIntegrity.none());
        }
        try (GatewayStore store = GatewayStore.open(new StoreOptions(dir))) {
            assertThat(store.tarballs().find("a/-/a-1.0.0.tgz").orElseThrow().origin()).isEqualTo("corp");
        }
    }

    @Test
    void aManifestWithoutOriginDecodesWithANullOrigin() {
        byte[] v2 = ManifestCodec.encode(7, 3, 1, 1024, DIGESTS, 1000, null);
        assertThat(ManifestCodec.decode("k", v2, 0).origin()).isNull();
    }

    @Test
    void version1ManifestsWrittenBeforeOriginsExistedAreStillRead() {
        byte[] v2 = ManifestCodec.encode(7, 3, 1, 1024, DIGESTS, 1000, null);
        byte[] v1 = Arrays.copyOf(v2, ManifestCodec.LENGTH);
        v1[0] = 1;
        TarballManifest m = ManifestCodec.decode("k", v1, 0);
        assertThat(m.size()).isEqualTo(3);
        assertThat(m.origin()).isNull();
    }

    @Test
    void aDamagedManifestIsReportedNotMisread() {
        byte[] v2 = ManifestCodec.encode(7, 3, 1, 1024, DIGESTS, 1000, "corp");
        byte[] cut = Arrays.copyOf(v2, v2.length - 1);
        assertThatThrownBy(() -> ManifestCodec.decode("k", cut, 0)).isInstanceOf(StoreException.class)
                .hasMessageContaining("unreadable");
        assertThat(ByteBuffer.wrap(v2).get()).isEqualTo((byte) 2);
    }
}
