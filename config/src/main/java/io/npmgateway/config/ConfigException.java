package io.npmgateway.config;

/**
 * A configuration the gateway refuses to start with. The message names the source (file or flag), the field
 * and what was expected, so the operator can fix it without reading code.
 */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public static ConfigException field(String source, String field, String problem) {
        return new ConfigException(source + ": " + field + ": " + problem);
    }
}
