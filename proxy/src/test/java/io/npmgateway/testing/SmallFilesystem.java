package io.npmgateway.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a fixed size mounted on a directory for one test, so the gateway's data directory can really run out
 * of space: {@link #fill()} takes every free byte with a filler file, {@link #free()} gives them back. Mounting
 * needs root (the test machines and CI run as root); where the mount is refused, {@link #mount} fails with the
 * reason instead of letting the test pass without having filled a disk.
 */
public final class SmallFilesystem implements AutoCloseable {
    private final Path mountPoint;
    private final Path filler;

    private SmallFilesystem(Path mountPoint) {
        this.mountPoint = mountPoint;
        this.filler = mountPoint.resolve("filler");
    }

    /** Mounts a tmpfs of {@code megabytes} MiB on {@code mountPoint} (created if missing). */
    public static SmallFilesystem mount(Path mountPoint, int megabytes) throws IOException, InterruptedException {
        Files.createDirectories(mountPoint);
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", mountPoint.toString()),
                "mounting a " + megabytes + " MiB tmpfs (needs root or CAP_SYS_ADMIN)");
        return new SmallFilesystem(mountPoint);
    }

    public Path path() {
        return mountPoint;
    }

    /** Writes a filler file until the filesystem reports it is full; returns the bytes it took. */
    public long fill() throws IOException {
        byte[] block = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException full) {
            // ENOSPC: the point of the exercise. Top up the last partial block byte-wise so nothing is left.
            if (Files.getFileStore(mountPoint).getUsableSpace() > 0) {
                try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
                    while (true) {
                        out.write(0);
                        out.flush();
                        written++;
                    }
                } catch (IOException fullNow) {
                    // Full to the last byte.
                }
            }
        }
        return written;
    }

    /** Bytes still free. */
    public long usable() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /** Deletes the filler file: the space is back. */
    public void free() throws IOException {
        Files.deleteIfExists(filler);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        // Lazy unmount: a gateway that has not yet let go of its files must not keep the mount alive forever.
        run(List.of("umount", "-l", mountPoint.toString()), "unmounting " + mountPoint);
    }

    private static void run(List<String> command, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(what + ": " + command + " did not finish");
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(what + " failed: " + String.join(" ", command) + " exited " + p.exitValue()
                    + ": " + out.strip());
        }
    }
}
