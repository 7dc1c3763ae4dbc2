package io.npmgateway;

import io.npmgateway.cli.GatewayCommand;
import picocli.CommandLine;

/** Entry point of {@code java -jar npm-gateway.jar}: parses the command line and runs the gateway. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int exit = GatewayCommand.commandLine().execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    /** For tests: runs the command line without exiting the JVM. */
    public static int run(String... args) {
        return GatewayCommand.commandLine().execute(args);
    }

    static CommandLine commandLine() {
        return GatewayCommand.commandLine();
    }
}
