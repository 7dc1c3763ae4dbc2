package io.npmgateway.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settings given outside the configuration file, each with the name of where it came from (an environment
 * variable or a flag) so an invalid value is reported against it. Layers combine with
 * {@link #overriddenBy(ConfigOverrides)}; {@link ConfigLoader#load(ConfigOverrides)} applies the result on top of
 * the file. The precedence is <b>file &lt; environment &lt; flags</b>:
 *
 * <pre>
 * ConfigOverrides.fromEnvironment(System.getenv())
 *         .overriddenBy(ConfigOverrides.none().with(Setting.PORT, "--port", "8080"))
 * </pre>
 *
 * <p>{@link Setting#UPSTREAMS} and {@link Setting#NPMRC} both define the upstreams and routes, so a layer that sets
 * one of them replaces both of the lower layer's; setting both in one layer is an error.
 */
public final class ConfigOverrides {

    /** What can be overridden, with the environment variable that does it. */
    public enum Setting {
        /** The YAML configuration file to read. */
        CONFIG_FILE("NPM_GATEWAY_CONFIG"),
        /**
         * {@code .npmrc} files whose registries and credentials become the upstreams and routes; later files
         * override earlier ones key by key (separated by the platform's path separator, {@code :} on Unix, in the
         * environment variable, as in {@code PATH}).
         */
        NPMRC("NPM_GATEWAY_NPMRC"),
        /** {@code server.port}. */
        PORT("NPM_GATEWAY_PORT"),
        /** {@code server.bind}. */
        BIND("NPM_GATEWAY_BIND"),
        /** {@code dataDir}. */
        DATA_DIR("NPM_GATEWAY_DATA_DIR"),
        /** {@code server.publicUrl}. */
        PUBLIC_URL("NPM_GATEWAY_PUBLIC_URL"),
        /** Anonymous upstream URLs, in priority order (comma-separated in the environment variable). */
        UPSTREAMS("NPM_GATEWAY_UPSTREAM");

        private final String environmentVariable;

        Setting(String environmentVariable) {
            this.environmentVariable = environmentVariable;
        }

        public String environmentVariable() {
            return environmentVariable;
        }
    }

    /** An overriding value and its source, e.g. {@code NPM_GATEWAY_PORT} or {@code --port}. */
    public record Value(String source, List<String> values) {
        public Value {
            values = List.copyOf(values);
        }

        /** The single value (the last, if a list was given). */
        public String value() {
            return values.get(values.size() - 1);
        }
    }

    private final EnumMap<Setting, Value> values;

    private ConfigOverrides(EnumMap<Setting, Value> values) {
        this.values = values;
    }

    public static ConfigOverrides none() {
        return new ConfigOverrides(new EnumMap<>(Setting.class));
    }

    /** The {@code NPM_GATEWAY_*} variables of {@code env}; empty variables count as unset. */
    public static ConfigOverrides fromEnvironment(Map<String, String> env) {
        ConfigOverrides result = none();
        for (Setting s : Setting.values()) {
            String text = env.get(s.environmentVariable());
            if (text == null || text.isBlank()) {
                continue;
            }
            List<String> list = switch (s) {
                case UPSTREAMS -> Arrays.stream(text.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
                case NPMRC -> Arrays.stream(text.split(java.util.regex.Pattern.quote(java.io.File.pathSeparator)))
                        .map(String::trim).filter(v -> !v.isEmpty()).toList();
                default -> List.of(text.trim());
            };
            result = result.with(s, s.environmentVariable(), list);
        }
        return result;
    }

    /** This layer plus {@code setting}; a {@code null} value leaves it unchanged. */
    public ConfigOverrides with(Setting setting, String source, String value) {
        return value == null ? this : with(setting, source, List.of(value));
    }

    /**
     * This layer plus {@code setting} with several values ({@link Setting#UPSTREAMS}, {@link Setting#NPMRC}); empty
     * leaves it unchanged.
     */
    public ConfigOverrides with(Setting setting, String source, List<String> list) {
        if (list == null || list.isEmpty()) {
            return this;
        }
        Setting other = otherUpstreamSource(setting);
        if (other != null && values.containsKey(other)) {
            throw new ConfigException(values.get(other).source() + " and " + source
                    + " both define the upstreams; use one of them");
        }
        EnumMap<Setting, Value> copy = new EnumMap<>(values);
        copy.put(setting, new Value(source, new ArrayList<>(list)));
        return new ConfigOverrides(copy);
    }

    /** This layer with every setting {@code later} has replaced by {@code later}'s value. */
    public ConfigOverrides overriddenBy(ConfigOverrides later) {
        EnumMap<Setting, Value> copy = new EnumMap<>(values);
        if (later.values.containsKey(Setting.UPSTREAMS) || later.values.containsKey(Setting.NPMRC)) {
            copy.remove(Setting.UPSTREAMS);
            copy.remove(Setting.NPMRC);
        }
        copy.putAll(later.values);
        return new ConfigOverrides(copy);
    }

    public Optional<Value> get(Setting setting) {
        return Optional.ofNullable(values.get(setting));
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    private static Setting otherUpstreamSource(Setting s) {
        return s == Setting.UPSTREAMS ? Setting.NPMRC : s == Setting.NPMRC ? Setting.UPSTREAMS : null;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
