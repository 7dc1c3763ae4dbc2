package io.npmgateway.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarballPurgeTest {
    @TempDir
    Path dir;

    @Test
    void purgingByPrefixRemovesExactlyThatPackagesTarballs() {
        try (GatewayStore store = GatewayStore.open(new StoreOptions(dir))) {
            for (String key : new String[] {"a/-/a-1.0.0.tgz", "a/-/a-2.0.0.tgz", "ab/-/ab-1.0.0.tgz",
                    "@s/a/-/a-1.0.0.tgz"}) {
                TarballWriter w = store.tarballs().begin(key);
                w.append(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                w.commit(ExpectedIntegrity.none());
            }
            assertThat(store.tarballs().deleteByPrefix("a/-/")).isEqualTo(2);
            assertThat(store.tarballs().find("a/-/a-1.0.0.tgz")).isEmpty();
            assertThat(store.tarballs().find("ab/-/ab-1.0.0.tgz")).isPresent();
            assertThat(store.tarballs().find("@s/a/-/a-1.0.0.tgz")).isPresent();
            assertThat(store.tarballs().entryCount()).isEqualTo(2);
        }
    }
}
