package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * Writes a large, realistic-looking full packument: the shape of a popular package with thousands of releases
 * (per-version dependencies, scripts, dist with integrity and signatures, a {@code time} entry per version, a
 * long readme). Deterministic for a given seed, so tests and benchmarks see identical bytes on every run.
 *
 * <p>Every {@code dist.tarball} points at {@link #UPSTREAM_BASE}, and that host appears nowhere else in the
 * document, so "no upstream URL survived the rewrite" is a byte search.
 */
public final class LargePackumentGenerator {

    public static final String UPSTREAM_BASE = "https://upstream.example/";
    public static final long DEFAULT_SEED = 20240229L;

    /** One in this many versions has a postinstall script, so the corgi gets {@code hasInstallScript}. */
    public static final int INSTALL_SCRIPT_EVERY = 50;

    private static final String[] DEPENDENCY_POOL = {
        "left-thing", "right-thing", "@acme/core", "@acme/utils", "tiny-lib", "chalk-like", "debug-like",
        "semver-like", "glob-like", "yargs-like", "ws-like", "lru-thing", "mime-thing", "uuid-like", "ms-like",
        "picomatch-like", "fast-thing", "@types/node-like", "esbuild-like", "rollup-like", "postcss-like",
        "typescript-like", "vitest-like", "eslint-like", "prettier-like", "tslib-like", "zod-like", "acorn-like",
    };
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char[] BASE64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();

    private LargePackumentGenerator() {
    }

    /** A document of {@code versionCount} versions with the default seed (about 1.4 KB per version). */
    public static byte[] generate(String packageName, int versionCount) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(versionCount * 1500 + 128 * 1024);
        try {
            write(out, packageName, versionCount, DEFAULT_SEED);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The version string of the {@code index}-th version: unique, some of them prereleases. */
    public static String version(int index) {
        String core = (index / 1000) + "." + (index % 1000 / 50) + "." + (index % 50);
        return index % 10 == 9 ? core + "-canary." + index : core;
    }

    public static void write(OutputStream out, String packageName, int versionCount, long seed) throws IOException {
        PackageName name = PackageName.parse(packageName);
        SplittableRandom random = new SplittableRandom(seed);
        Instant start = Instant.parse("2015-01-01T00:00:00Z");
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("_id", packageName);
            g.writeStringField("_rev", "1234-" + hex(random, 32));
            g.writeStringField("name", packageName);
            g.writeStringField("description", "A generated package with " + versionCount + " versions");
            g.writeObjectFieldStart("dist-tags");
            g.writeStringField("latest", version(versionCount - 2));
            g.writeStringField("canary", version(versionCount - 1));
            g.writeStringField("v0-lts", version(Math.min(versionCount - 1, 998)));
            g.writeEndObject();

            g.writeObjectFieldStart("versions");
            for (int i = 0; i < versionCount; i++) {
                g.writeFieldName(version(i));
                writeVersion(g, name, version(i), i, random);
            }
            g.writeEndObject();

            g.writeObjectFieldStart("time");
            g.writeStringField("created", start.toString());
            for (int i = 0; i < versionCount; i++) {
                g.writeStringField(version(i), start.plusSeconds(3600L * 7 * i).toString());
            }
            g.writeStringField("modified", start.plusSeconds(3600L * 7 * versionCount).toString());
            g.writeEndObject();

            g.writeArrayFieldStart("maintainers");
            writePerson(g, "alice");
            writePerson(g, "bob");
            g.writeEndArray();
            g.writeStringField("readme", readme(random));
            g.writeStringField("readmeFilename", "README.md");
            g.writeStringField("homepage", "https://docs.example/" + name.unscopedName());
            g.writeStringField("license", "MIT");
            g.writeObjectFieldStart("users");
            for (int i = 0; i < 200; i++) {
                g.writeBooleanField("user" + i, true);
            }
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void writeVersion(JsonGenerator g, PackageName name, String version, int i, SplittableRandom random)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name.toString());
        g.writeStringField("version", version);
        g.writeStringField("description", "Release " + version + " of a generated package");
        g.writeStringField("main", "dist/index.js");
        g.writeStringField("types", "dist/index.d.ts");
        g.writeObjectFieldStart("exports");
        g.writeObjectFieldStart(".");
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
        if (i % INSTALL_SCRIPT_EVERY == 0) {
            g.writeStringField("postinstall", "node scripts/postinstall.js");
        }
        g.writeEndObject();
        g.writeObjectFieldStart("repository");
        g.writeStringField("type", "git");
        g.writeStringField("url", "git+https://git.example/org/" + name.unscopedName() + ".git");
        g.writeEndObject();
        g.writeObjectFieldStart("engines");
        g.writeStringField("node", ">=" + (14 + i / 5000 * 2));
        g.writeEndObject();
        writeDependencies(g, "dependencies", 2 + random.nextInt(5), random);
        writeDependencies(g, "devDependencies", 2 + random.nextInt(5), random);
        if (i % 5 == 0) {
            writeDependencies(g, "peerDependencies", 1, random);
        }
        if (i % 20 == 0) {
            writeDependencies(g, "optionalDependencies", 1, random);
            g.writeArrayFieldStart("os");
            g.writeString("linux");
            g.writeString("darwin");
            g.writeEndArray();
            g.writeArrayFieldStart("libc");
            g.writeString("glibc");
            g.writeEndArray();
        }
        if (i % 100 == 1) {
            g.writeStringField("deprecated", "Release " + version + " has a known bug, upgrade");
        }
        g.writeStringField("license", "MIT");
        g.writeArrayFieldStart("maintainers");
        writePerson(g, "alice");
        writePerson(g, "bob");
        g.writeEndArray();
        g.writeObjectFieldStart("_npmOperationalInternal");
        g.writeStringField("host", "storage.example");
        g.writeStringField("tmp", "tmp/" + name.unscopedName() + "_" + version + "_" + (1_500_000_000_000L + i * 1000L) + "_0." + random.nextInt(1_000_000));
        g.writeEndObject();
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
        g.writeObjectFieldStart("directories");
        g.writeEndObject();
        g.writeBooleanField("_hasShrinkwrap", false);
        g.writeEndObject();
    }

    private static void writeDependencies(JsonGenerator g, String field, int count, SplittableRandom random)
            throws IOException {
        g.writeObjectFieldStart(field);
        int first = random.nextInt(DEPENDENCY_POOL.length);
        for (int k = 0; k < count; k++) {
            String dependency = DEPENDENCY_POOL[(first + k) % DEPENDENCY_POOL.length];
            g.writeStringField(dependency, "^" + random.nextInt(10) + "." + random.nextInt(20) + "." + random.nextInt(10));
        }
        g.writeEndObject();
    }

    private static void writePerson(JsonGenerator g, String user) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", user);
        g.writeStringField("email", user + "@example.org");
        g.writeEndObject();
    }

    private static String readme(SplittableRandom random) {
        StringBuilder readme = new StringBuilder(64 * 1024);
        readme.append("# Generated package\n\n");
        String[] words = {"install", "the", "package", "with", "npm", "configure", "options", "résumé", "🚀", "and",
                          "\"quoted\"", "run", "tests", "\tindented", "line\n"};
        while (readme.length() < 60_000) {
            readme.append(words[random.nextInt(words.length)]).append(' ');
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
