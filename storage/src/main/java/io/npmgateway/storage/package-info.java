/** The cache tiers: packument documents and tarballs on RocksDB, with crash-safe commits and a disk budget. */
package io.npmgateway.storage;
