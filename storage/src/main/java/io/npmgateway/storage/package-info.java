/**
 * The gateway's on-disk cache tiers: packument documents and tarballs in one RocksDB database, with crash-safe
 * commits and a disk budget. Plain Java: the Netty proxy calls it, but nothing here depends on Netty.
 *
 * <p>Entry point: {@link io.npmgateway.storage.GatewayStore#open(io.npmgateway.storage.StoreOptions)}, which gives
 * <ul>
 *   <li>{@link io.npmgateway.storage.TarballStore}: {@code find} on every tarball request; on a hit, stream chunks
 *       with {@code readChunk}; on a miss, {@code begin} a {@link io.npmgateway.storage.TarballWriter}, append the
 *       upstream body while other clients read its chunks, then {@code commit} against the packument's
 *       {@link io.npmgateway.storage.ExpectedIntegrity}.</li>
 *   <li>{@link io.npmgateway.storage.MetadataStore}: the disk tier under the proxy's in-memory packument cache.</li>
 * </ul>
 *
 * <p>On disk (column families): {@code tarball-chunks} (8-byte download id + 4-byte index, BlobDB),
 * {@code tarball-manifests} (tarball key to manifest; a tarball exists only if its manifest does),
 * {@code tarball-access} (last-access times, flushed in batches), {@code tarball-pending} (downloads in progress, for
 * crash cleanup), {@code metadata-headers} and {@code metadata-bodies}.
 */
package io.npmgateway.storage;
