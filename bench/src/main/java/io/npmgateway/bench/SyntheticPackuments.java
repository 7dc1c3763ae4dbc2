package io.npmgateway.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.npmgateway.npm.PackageName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Deterministic full packuments of a chosen size, shaped like what upstreams send for real packages: per-version
 * dependencies, scripts, {@code exports}, {@code dist} with integrity, shasum, tarball and signatures, a
 * {@code time} entry per version, maintainers and a readme.
 *
 * <p>The proxy's test-only {@code LargePackumentGenerator} has the same idea but is not on the bench classpath;
 * this one also sizes the document to a byte target, because rewrite cost is reported per megabyte of input.
 * Same seed, same bytes: results from two runs or two machines describe the same input.
 *
 * <p>Tarball URLs point at {@link #UPSTREAM_BASE}, a reserved example host, so no real registry is named.
 */
public final class SyntheticPackuments {

    public static final String UPSTREAM_BASE = "https://upstream.example/";
    private static final long SEED = 20240229L;
    private static final Instant EPOCH = Instant.parse("2014-03-01T00:00:00Z");

    private static final String[] DEPENDENCY_POOL = {
        "left-thing", "right-thing", "@acme/core", "@acme/utils", "tiny-lib", "chalk-like", "debug-like",
        "semver-like", "glob-like", "yargs-like", "ws-like", "lru-thing", "mime-thing", "uuid-like", "ms-like",
        "picomatch-like", "fast-thing", "@types/node-like", "esbuild-like", "rollup-like", "postcss-like",
        "typescript-like", "vitest-like", "eslint-like", "prettier-like", "tslib-like", "zod-like", "acorn-like",
    };
    private static final String[] KEYWORDS = {
        "http", "cli", "parser", "stream", "utility", "typescript", "esm", "fast", "tiny", "browser", "node",
    };
    // Mixed ASCII, escapes and multi-byte UTF-8 (including a non-BMP emoji): the generator must escape and the
    // parser must decode what real readmes contain, not just plain letters.
    private static final String[] README_WORDS = {
        "install", "the", "package", "with", "npm", "configure", "options", "résumé", "🚀", "and", "\"quoted\"",
        "run", "tests", "\tindented", "line\n", "`code`", "## Usage\n", "日本語",
    };
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char[] BASE64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();

    /** The documents the benchmarks use; a JMH {@code @Param} of this type selects one by name. */
    public enum Size {
        /** About 200 KB: a typical library with a few dozen releases. Most packuments an install fetches. */
        MID("mid-sized-lib", 200 * 1024),
        /** About 20 MB: a package with thousands of releases, the kind that dominates metadata memory and CPU. */
        LARGE("@acme/huge-framework", 20 * 1024 * 1024);

        private final String packageName;
        private final int targetBytes;

        Size(String packageName, int targetBytes) {
            this.packageName = packageName;
            this.targetBytes = targetBytes;
        }

        public PackageName packageName() {
            return PackageName.parse(packageName);
        }

        public int targetBytes() {
            return targetBytes;
        }

        /** Generates the document (hundreds of milliseconds for LARGE: call it in a setup, never in a benchmark). */
        public byte[] generate() {
            return ofSize(packageName, targetBytes);
        }
    }

    private SyntheticPackuments() {
    }

    /**
     * A document of {@code packageName} within a few percent of {@code targetBytes}. The version count is
     * calibrated from two small documents: the per-version cost is their difference, the rest is fixed cost.
     */
    public static byte[] ofSize(String packageName, int targetBytes) {
        int readmeChars = readmeChars(targetBytes);
        int small = write(packageName, 16, readmeChars).length;
        int bigger = write(packageName, 48, readmeChars).length;
        double perVersion = (bigger - small) / 32.0;
        double fixed = small - 16 * perVersion;
        int versions = (int) Math.max(1, Math.round((targetBytes - fixed) / perVersion));
        return write(packageName, versions, readmeChars);
    }

    /** A document with exactly {@code versionCount} versions. */
    public static byte[] write(String packageName, int versionCount, int readmeChars) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(versionCount * 2600 + readmeChars * 2 + 16 * 1024);
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            writeDocument(g, PackageName.parse(packageName), versionCount, readmeChars, new SplittableRandom(SEED));
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    /** The {@code index}-th version: unique, one in ten a prerelease, as busy packages publish canaries. */
    public static String version(int index) {
        String core = (index / 1000) + "." + (index % 1000 / 40) + "." + (index % 40);
        return index % 10 == 9 ? core + "-canary." + index : core;
    }

    // The public registry truncates readmes to 64 KiB; small packages have short ones.
    private static int readmeChars(int targetBytes) {
        return Math.min(60_000, Math.max(2_000, targetBytes / 10));
    }

    private static void writeDocument(JsonGenerator g, PackageName name, int versionCount, int readmeChars,
            SplittableRandom random) throws IOException {
        g.writeStartObject();
        g.writeStringField("_id", name.toString());
        g.writeStringField("_rev", (versionCount + 17) + "-" + hex(random, 32));
        g.writeStringField("name", name.toString());
        g.writeStringField("description", "A synthetic package with " + versionCount + " versions");
        g.writeObjectFieldStart("dist-tags");
        g.writeStringField("latest", version(Math.max(0, versionCount - 2)));
        g.writeStringField("next", version(versionCount - 1));
        g.writeEndObject();

        g.writeObjectFieldStart("versions");
        for (int i = 0; i < versionCount; i++) {
            g.writeFieldName(version(i));
            writeVersion(g, name, i, random);
        }
        g.writeEndObject();

        g.writeObjectFieldStart("time");
        g.writeStringField("created", EPOCH.toString());
        for (int i = 0; i < versionCount; i++) {
            g.writeStringField(version(i), published(i).toString());
        }
        g.writeStringField("modified", published(versionCount).toString());
        g.writeEndObject();

        g.writeArrayFieldStart("maintainers");
        writePerson(g, "alice");
        writePerson(g, "bob");
        g.writeEndArray();
        g.writeStringField("readme", readme(random, readmeChars));
        g.writeStringField("readmeFilename", "README.md");
        g.writeStringField("homepage", "https://docs.example/" + name.unscopedName());
        g.writeObjectFieldStart("repository");
        g.writeStringField("type", "git");
        g.writeStringField("url", "git+https://git.example/org/" + name.unscopedName() + ".git");
        g.writeEndObject();
        g.writeObjectFieldStart("bugs");
        g.writeStringField("url", "https://git.example/org/" + name.unscopedName() + "/issues");
        g.writeEndObject();
        g.writeStringField("license", "MIT");
        g.writeObjectFieldStart("users");
        for (int i = 0; i < Math.min(200, versionCount * 2); i++) {
            g.writeBooleanField("user" + i, true);
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static Instant published(int index) {
        return EPOCH.plusSeconds(3600L * 5 * index + 17L * index);
    }

    private static void writeVersion(JsonGenerator g, PackageName name, int i, SplittableRandom random)
            throws IOException {
        String version = version(i);
        g.writeStartObject();
        g.writeStringField("name", name.toString());
        g.writeStringField("version", version);
        g.writeStringField("description", "Release " + version + " of a synthetic package");
        g.writeArrayFieldStart("keywords");
        for (int k = 0; k < 3 + random.nextInt(5); k++) {
            g.writeString(KEYWORDS[random.nextInt(KEYWORDS.length)]);
        }
        g.writeEndArray();
        g.writeFieldName("author");
        writePerson(g, "alice");
        g.writeArrayFieldStart("contributors");
        writePerson(g, "bob");
        writePerson(g, "carol");
        g.writeEndArray();
        g.writeStringField("homepage", "https://docs.example/" + name.unscopedName());
        g.writeObjectFieldStart("bugs");
        g.writeStringField("url", "https://git.example/org/" + name.unscopedName() + "/issues");
        g.writeEndObject();
        g.writeStringField("license", "MIT");
        // Fields the corgi drops are most of a real manifest; without them the corgi would look too large.
        g.writeArrayFieldStart("files");
        g.writeString("dist");
        g.writeString("bin");
        g.writeString("README.md");
        g.writeEndArray();
        g.writeBooleanField("sideEffects", false);
        g.writeObjectFieldStart("publishConfig");
        g.writeStringField("access", "public");
        g.writeEndObject();
        g.writeObjectFieldStart("prettier");
        g.writeBooleanField("singleQuote", true);
        g.writeNumberField("printWidth", 100);
        g.writeStringField("trailingComma", "all");
        g.writeEndObject();
        g.writeStringField("main", "dist/index.js");
        g.writeStringField("types", "dist/index.d.ts");
        g.writeObjectFieldStart("exports");
        g.writeObjectFieldStart(".");
        g.writeStringField("types", "./dist/index.d.ts");
        g.writeStringField("import", "./dist/index.mjs");
        g.writeStringField("require", "./dist/index.cjs");
        g.writeEndObject();
        g.writeStringField("./package.json", "./package.json");
        g.writeEndObject();
        if (i % 10 == 0) {
            g.writeObjectFieldStart("bin");
            g.writeStringField(name.unscopedName(), "bin/cli.js");
            g.writeEndObject();
        }
        g.writeObjectFieldStart("scripts");
        g.writeStringField("build", "tsc -p tsconfig.build.json");
        g.writeStringField("test", "vitest run");
        g.writeStringField("lint", "eslint src --max-warnings 0");
        // A few releases need a build step on install: the corgi's hasInstallScript is computed from these.
        if (i % 50 == 0) {
            g.writeStringField("postinstall", "node scripts/postinstall.js");
        }
        g.writeEndObject();
        g.writeObjectFieldStart("repository");
        g.writeStringField("type", "git");
        g.writeStringField("url", "git+https://git.example/org/" + name.unscopedName() + ".git");
        g.writeEndObject();
        g.writeObjectFieldStart("engines");
        g.writeStringField("node", ">=" + (14 + i / 2000 * 2));
        g.writeEndObject();
        writeDependencies(g, "dependencies", 3 + random.nextInt(6), random);
        writeDependencies(g, "devDependencies", 6 + random.nextInt(10), random);
        if (i % 5 == 0) {
            writeDependencies(g, "peerDependencies", 1, random);
            g.writeObjectFieldStart("peerDependenciesMeta");
            g.writeObjectFieldStart(DEPENDENCY_POOL[i % DEPENDENCY_POOL.length]);
            g.writeBooleanField("optional", true);
            g.writeEndObject();
            g.writeEndObject();
        }
        if (i % 20 == 0) {
            writeDependencies(g, "optionalDependencies", 1, random);
            g.writeArrayFieldStart("os");
            g.writeString("linux");
            g.writeString("darwin");
            g.writeEndArray();
            g.writeArrayFieldStart("cpu");
            g.writeString("x64");
            g.writeString("arm64");
            g.writeEndArray();
        }
        if (i % 100 == 1) {
            g.writeStringField("deprecated", "Release " + version + " has a known bug, upgrade");
        }
        g.writeStringField("gitHead", hex(random, 40));
        g.writeStringField("_id", name + "@" + version);
        g.writeStringField("_nodeVersion", "20.11." + (i % 30));
        g.writeStringField("_npmVersion", "10.2." + (i % 5));
        g.writeObjectFieldStart("dist");
        g.writeStringField("integrity", "sha512-" + base64(random, 86) + "==");
        g.writeStringField("shasum", hex(random, 40));
        g.writeStringField("tarball", UPSTREAM_BASE + name + "/-/" + name.tarballFileName(version));
        g.writeNumberField("fileCount", 10 + random.nextInt(200));
        g.writeNumberField("unpackedSize", 10_000 + random.nextInt(5_000_000));
        g.writeArrayFieldStart("signatures");
        g.writeStartObject();
        g.writeStringField("keyid", "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA");
        g.writeStringField("sig", "MEUCIQ" + base64(random, 60) + "AiB" + base64(random, 40) + "=");
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
        g.writeFieldName("_npmUser");
        writePerson(g, i % 3 == 0 ? "bob" : "alice");
        g.writeArrayFieldStart("maintainers");
        writePerson(g, "alice");
        writePerson(g, "bob");
        g.writeEndArray();
        g.writeObjectFieldStart("_npmOperationalInternal");
        g.writeStringField("host", "s3://packages-bucket.example");
        g.writeStringField("tmp", "tmp/" + name.unscopedName() + "_" + version + "_" + (1_400_000_000_000L + i * 7_000L)
                + "_0." + random.nextInt(1_000_000));
        g.writeEndObject();
        g.writeObjectFieldStart("directories");
        g.writeEndObject();
        g.writeBooleanField("_hasShrinkwrap", false);
        g.writeEndObject();
    }

    private static void writeDependencies(JsonGenerator g, String field, int count, SplittableRandom random)
            throws IOException {
        g.writeObjectFieldStart(field);
        int first = random.nextInt(DEPENDENCY_POOL.length);
        for (int k = 0; k < Math.min(count, DEPENDENCY_POOL.length); k++) {
            String dependency = DEPENDENCY_POOL[(first + k) % DEPENDENCY_POOL.length];
            g.writeStringField(dependency,
                    "^" + random.nextInt(10) + "." + random.nextInt(20) + "." + random.nextInt(10));
        }
        g.writeEndObject();
    }

    private static void writePerson(JsonGenerator g, String user) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", user);
        g.writeStringField("email", user + "@example.org");
        g.writeEndObject();
    }

    private static String readme(SplittableRandom random, int chars) {
        StringBuilder readme = new StringBuilder(chars + 32);
        readme.append("# Synthetic package\n\n");
        while (readme.length() < chars) {
            readme.append(README_WORDS[random.nextInt(README_WORDS.length)]).append(' ');
        }
        return readme.toString();
    }

    private static String hex(SplittableRandom random, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = HEX[random.nextInt(16)];
        }
        return new String(chars);
    }

    private static String base64(SplittableRandom random, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = BASE64[random.nextInt(64)];
        }
        return new String(chars);
    }
}
