package io.npmgateway.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RewrittenPackument;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What deriving the abbreviated ("corgi") document costs. The gateway has no separate derivation step: the
 * rewriter writes the full and the abbreviated document in one streaming pass over the upstream bytes (upstreams
 * are asked for the full document only), and the proxy offers no full-only pass to compare against, on purpose.
 * So the pass is measured next to two floors built here from plain Jackson, which bracket what any single-pass
 * design could cost:
 * <ul>
 *   <li>{@code parseOnly}: tokenize the upstream document and nothing else, the cost of reading it at all;</li>
 *   <li>{@code tokenCopy}: tokenize and write every token back out, a rewrite that changes nothing and derives
 *       nothing;</li>
 *   <li>{@code combinedPass}: the gateway's {@link PackumentRewriter#rewrite}: both documents, tarball URLs
 *       rewritten, dist-tag / version / file-name indexes built.</li>
 * </ul>
 * {@code combinedPass - tokenCopy} is the price of the corgi, the URL rewrite and the indexes together. Like the
 * rewrite it is paid once per upstream fetch; requests for the corgi then serve stored bytes.
 *
 * <p>Scores are operations per second; {@code bytes} is upstream input bytes per second (MB/s = bytes / 10^6).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar AbbreviatedDerivationBenchmark -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class AbbreviatedDerivationBenchmark {

    /**
     * The settings of the proxy's (package-private) packument factory that change speed: field names
     * canonicalised but not interned, no document length limit. Canonicalisation matters twice: it saves String
     * allocation, and with it off Jackson reads a byte[] through a Reader instead of its UTF-8 parser.
     */
    private static final JsonFactory BASELINE_FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(64 * 1024 * 1024).maxDocumentLength(-1).build())
            .enable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    @Param({"MID", "LARGE"})
    public SyntheticPackuments.Size size;

    private PackumentRewriter rewriter;
    private PackageName name;
    private byte[] upstreamDocument;

    @Setup(Level.Trial)
    public void setUp() {
        rewriter = new PackumentRewriter(PackumentRewriteBenchmark.PUBLIC_BASE_URL);
        name = size.packageName();
        upstreamDocument = size.generate();
        RewrittenPackument once = rewriter.rewrite(name, upstreamDocument);
        System.out.printf("%n%s: upstream %,d bytes -> abbreviated %,d bytes (%.1f%% of the full document)%n",
                size, upstreamDocument.length, once.abbreviated().length,
                100.0 * once.abbreviated().length / once.full().length);
    }

    @Benchmark
    public RewrittenPackument combinedPass(BytesProcessed processed) {
        processed.add(upstreamDocument.length);
        return rewriter.rewrite(name, upstreamDocument);
    }

    @Benchmark
    public byte[] tokenCopy(BytesProcessed processed) throws IOException {
        processed.add(upstreamDocument.length);
        // Sized as the rewriter sizes its full output, so both pay the same allocation.
        ByteArrayOutputStream out = new ByteArrayOutputStream(upstreamDocument.length + upstreamDocument.length / 16);
        try (JsonParser p = BASELINE_FACTORY.createParser(upstreamDocument);
             JsonGenerator g = BASELINE_FACTORY.createGenerator(out)) {
            p.nextToken();
            g.copyCurrentStructure(p);
        }
        return out.toByteArray();
    }

    @Benchmark
    public long parseOnly(BytesProcessed processed) throws IOException {
        processed.add(upstreamDocument.length);
        long tokens = 0;
        try (JsonParser p = BASELINE_FACTORY.createParser(upstreamDocument)) {
            JsonToken token;
            while ((token = p.nextToken()) != null) {
                // Jackson decodes string values lazily; the rewriter copies (so decodes) every one, and so must this.
                if (token == JsonToken.VALUE_STRING) {
                    tokens += p.getTextLength();
                }
                tokens++;
            }
        }
        return tokens;
    }
}
