package io.npmgateway.metrics;

import java.util.Locale;

/** What an upstream fetch (or a coalesced request) was for: the {@code kind} label. */
public enum FetchKind {
    /** A packument (full or abbreviated; the gateway always fetches the full document). */
    PACKUMENT("packument"),
    /** A tarball. */
    TARBALL("tarball"),
    /** Anything else (dist-tags, search, audit passthrough). */
    OTHER("other");

    private final String label;

    FetchKind(String label) {
        this.label = label;
    }

    /** The label value exported to Prometheus. */
    public String label() {
        return label;
    }

    /**
     * The kind whose {@link #label()} is {@code label} (case-insensitive); {@link #OTHER} for anything else,
     * including {@code null}, so a typo never creates a new series.
     */
    public static FetchKind fromLabel(String label) {
        if (label == null) {
            return OTHER;
        }
        switch (label.toLowerCase(Locale.ROOT)) {
            case "packument":
                return PACKUMENT;
            case "tarball":
                return TARBALL;
            default:
                return OTHER;
        }
    }
}
