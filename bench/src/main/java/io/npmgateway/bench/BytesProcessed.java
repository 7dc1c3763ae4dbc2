package io.npmgateway.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH secondary result, {@code bytes}, that benchmarks add their input size to once per operation. JMH
 * normalises it like throughput, so in a {@code Mode.Throughput} benchmark its score is bytes per second of
 * the chosen time unit, exact for any parameter, where {@code @OperationsPerInvocation} would need a constant.
 * {@link ResultsTable} turns it into the MB/s column.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class BytesProcessed {

    /** Bytes handled so far in this iteration; public because JMH reads the field itself. */
    public long bytes;

    // JMH does not reset auxiliary counters between iterations.
    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
    }

    public void add(long n) {
        bytes += n;
    }
}
