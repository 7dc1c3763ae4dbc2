package io.npmgateway.packument;

/** The answer to "give me this package's packument": found (with how), or not in any upstream. */
public sealed interface PackumentLookup {

    record Found(CachedPackument packument, CacheOutcome outcome) implements PackumentLookup {
    }

    record NotFound() implements PackumentLookup {
    }
}
