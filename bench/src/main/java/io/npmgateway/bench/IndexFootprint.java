package io.npmgateway.bench;

import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentIndex;
import io.npmgateway.npm.PackumentRewriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * How many heap bytes the metadata cache's {@link PackumentIndex} holds per version: the figure the cache's weigher
 * estimates with ({@code PackumentIndex.BYTES_PER_VERSION}). Not a JMH benchmark: it measures memory, not time.
 *
 * <p>It rewrites synthetic documents (npm-style tarball URLs, sha512 integrity and sha1 shasum per version), keeps
 * only their indexes, and compares the used heap after full collections with and without them.
 *
 * <p>Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar io.npmgateway.bench.IndexFootprint}, or with
 * {@code typescript=/path/to/typescript.json ...} for real documents.
 */
public final class IndexFootprint {
    private static final int DOCUMENTS = 200;
    private static final int VERSIONS_PER_DOCUMENT = 500;

    private IndexFootprint() {
    }

    /** With no arguments, synthetic documents; else each {@code <package name>=<file>} is a real one, taken 20 times. */
    public static void main(String[] args) throws java.io.IOException {
        PackumentRewriter rewriter = new PackumentRewriter("http://localhost:4873/");
        List<PackumentIndex> kept = new ArrayList<>(DOCUMENTS);
        List<String> names = new ArrayList<>();
        List<byte[]> documents = new ArrayList<>();
        if (args.length == 0) {
            for (int i = 0; i < DOCUMENTS; i++) {
                String name = (i % 2 == 0 ? "package-" : "@scope/package-") + i;
                names.add(name);
                documents.add(SyntheticPackuments.write(name, VERSIONS_PER_DOCUMENT, 200));
            }
        } else {
            for (int copy = 0; copy < 20; copy++) {
                for (String arg : args) {
                    names.add(arg.substring(0, arg.indexOf('=')));
                    documents.add(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(
                            arg.substring(arg.indexOf('=') + 1))));
                }
            }
        }
        long before = usedAfterGc();
        long versions = 0;
        for (int i = 0; i < names.size(); i++) {
            PackumentIndex index = PackumentIndex.of(rewriter.rewrite(PackageName.parse(names.get(i)), "upstream",
                    documents.get(i)));
            versions += index.versions().size();
            kept.add(index);
        }
        long after = usedAfterGc();
        System.out.printf("%d documents, %d versions: %.0f heap bytes per version (estimate used by the cache: %d)%n",
                kept.size(), versions, (after - before) / (double) versions,
                kept.get(0).estimatedBytes() / kept.get(0).versions().size());
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // Several rounds: one System.gc() may leave floating garbage behind.
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
