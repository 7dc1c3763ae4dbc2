package io.npmgateway.cli;

import io.npmgateway.config.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code npm-gateway hash-password}: prints the {@code passwordHash} of a login user for {@code clients.users}.
 * The password is read from the terminal without echo (asked twice), or as the first line of standard input when
 * there is no terminal; never from the command line, where it would land in the shell's history and in
 * {@code ps}.
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
        description = {"Print the passwordHash for a user in clients.users (the password is read from the terminal, "
                + "or the first line of standard input)."})
final class HashPasswordCommand implements Callable<Integer> {

    @Option(names = "--iterations", paramLabel = "N",
            description = "PBKDF2 iterations (default ${DEFAULT-VALUE}; at least " + PasswordHash.MIN_ITERATIONS + ").")
    int iterations = PasswordHash.DEFAULT_ITERATIONS;

    private final Console console;
    private final java.io.InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    HashPasswordCommand() {
        this(terminal(), System.in, System.out, System.err);
    }

    /**
     * The console when standard input and output are a terminal, else null. From JDK 22 on, {@code System.console()}
     * exists even when input is piped; {@code Console.isTerminal()} (JDK 22+, called reflectively since the build
     * targets 17) tells the cases apart.
     */
    private static Console terminal() {
        Console console = System.console();
        if (console == null) {
            return null;
        }
        try {
            Object terminal = Console.class.getMethod("isTerminal").invoke(console);
            return Boolean.TRUE.equals(terminal) ? console : null;
        } catch (ReflectiveOperationException e) {
            return console; // JDK 17-21: a console exists only for a terminal
        }
    }

    HashPasswordCommand(Console console, java.io.InputStream in, PrintStream out, PrintStream err) {
        this.console = console;
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        if (iterations < PasswordHash.MIN_ITERATIONS) {
            err.println("npm-gateway: --iterations must be at least " + PasswordHash.MIN_ITERATIONS);
            return GatewayCommand.EXIT_CONFIG;
        }
        char[] password = console != null ? fromTerminal() : fromInput();
        if (password == null) {
            return GatewayCommand.EXIT_CONFIG;
        }
        try {
            out.println(PasswordHash.create(password, iterations).format());
            out.flush();
            return 0;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private char[] fromTerminal() {
        char[] first = console.readPassword("Password: ");
        char[] second = console.readPassword("Again: ");
        if (first == null || second == null || first.length == 0) {
            err.println("npm-gateway: no password given");
            return null;
        }
        if (!Arrays.equals(first, second)) {
            err.println("npm-gateway: the passwords differ");
            return null;
        }
        Arrays.fill(second, '\0');
        return first;
    }

    private char[] fromInput() throws IOException {
        String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
            err.println("npm-gateway: no password given on standard input");
            return null;
        }
        return line.toCharArray();
    }
}
