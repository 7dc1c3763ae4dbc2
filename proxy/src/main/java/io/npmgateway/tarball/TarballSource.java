package io.npmgateway.tarball;

import io.npmgateway.storage.TarballManifest;

/** Where a tarball request's bytes come from: the store, a download in progress, or nowhere. */
public sealed interface TarballSource {

    /** Verified and stored: served from the store, forever, without asking upstream. */
    record Stored(TarballManifest manifest) implements TarballSource {
    }

    /** Being fetched from upstream right now (by this request or an earlier one): stream it as it lands. */
    record Downloading(TarballDownload download) implements TarballSource {
    }

    /** No upstream has it; the message says what was looked for. */
    record NotFound(String message) implements TarballSource {
    }
}
