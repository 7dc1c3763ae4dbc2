package io.npmgateway.bench;

import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.RequestPathParser;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request work in front of every cache lookup: {@link RequestPathParser#parse} (percent-decoding, name
 * validation, route selection) and {@link PackumentRepresentation#negotiate} (which document the client gets).
 *
 * <p>Both run on the event loop for every request, hits included, and an {@code npm install} of a large tree makes
 * thousands of them, so they must stay in the sub-microsecond range next to the hit path they guard.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar PathParsingBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PathParsingBenchmark {

    /** The path spellings clients actually send, one per parameter value. */
    @State(Scope.Benchmark)
    public static class Paths {
        @Param({"unscoped", "scoped", "unscopedTarball", "scopedTarball"})
        public String path;

        RequestPathParser parser;
        String rawPath;

        @Setup
        public void setUp() {
            parser = new RequestPathParser("/");
            rawPath = switch (path) {
                case "unscoped" -> "/lodash";
                // npm and Yarn escape the scope's slash; only this spelling needs the percent-decoding branch.
                case "scoped" -> "/@types%2fnode";
                case "unscopedTarball" -> "/lodash/-/lodash-4.17.21.tgz";
                // Lockfiles carry tarball URLs with a literal slash in the scope.
                case "scopedTarball" -> "/@types/node/-/node-20.11.30.tgz";
                default -> throw new IllegalArgumentException("unknown path kind " + path);
            };
            parser.parse(rawPath); // fail in setup, not as a misleading score, if a spelling stops parsing
        }
    }

    /** Accept headers, by the client that sends them. */
    @State(Scope.Benchmark)
    public static class AcceptHeaders {
        @Param({"npmCorgi", "json"})
        public String accept;

        String header;

        @Setup
        public void setUp() {
            header = switch (accept) {
                // What npm (and pnpm) send for installs; the answer must be the abbreviated document.
                case "npmCorgi" -> "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";
                case "json" -> "application/json";
                default -> throw new IllegalArgumentException("unknown Accept kind " + accept);
            };
        }
    }

    @Benchmark
    public RegistryRequest parse(Paths paths) {
        return paths.parser.parse(paths.rawPath);
    }

    @Benchmark
    public PackumentRepresentation negotiate(AcceptHeaders accept) {
        return PackumentRepresentation.negotiate(accept.header);
    }
}
