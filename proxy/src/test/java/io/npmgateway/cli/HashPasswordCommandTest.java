package io.npmgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.PasswordHash;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code npm-gateway hash-password}: the password comes from standard input, never from the command line. */
class HashPasswordCommandTest {

    private int run(String stdin, ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        HashPasswordCommand command = new HashPasswordCommand(null,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CommandLine(command).execute(args);
    }

    @Test
    void printsAHashOfTheFirstLineOfStandardInput() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(run("p4ssw0rd with spaces\nignored\n", out, err, "--iterations", "10000")).isZero();
        String printed = out.toString(StandardCharsets.UTF_8).trim();
        assertThat(printed).startsWith("pbkdf2-sha256$10000$").doesNotContain("p4ssw0rd");
        assertThat(PasswordHash.parse(printed).matches("p4ssw0rd with spaces")).isTrue();
    }

    @Test
    void refusesAnEmptyPasswordAndTooFewIterations() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(run("", new ByteArrayOutputStream(), err)).isEqualTo(GatewayCommand.EXIT_CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no password given");
        ByteArrayOutputStream err2 = new ByteArrayOutputStream();
        assertThat(run("x\n", new ByteArrayOutputStream(), err2, "--iterations", "5"))
                .isEqualTo(GatewayCommand.EXIT_CONFIG);
        assertThat(err2.toString(StandardCharsets.UTF_8)).contains("at least 10000");
    }

    @Test
    void isASubcommandOfTheGatewayCommandLine() {
        assertThat(GatewayCommand.commandLine().getSubcommands()).containsKey("hash-password");
    }
}
