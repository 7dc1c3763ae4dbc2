package io.npmgateway.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the human-friendly scalar forms the configuration accepts: durations, sizes, {@code ${VAR}}. */
final class ConfigValues {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private ConfigValues() {
    }

    /** {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code 250ms} or ISO-8601 ({@code PT5M}). */
    static Duration duration(String text, String source, String field) {
        String value = text.trim();
        Matcher m = DURATION.matcher(value);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                case "h": return Duration.ofHours(n);
                default: return Duration.ofDays(n);
            }
        }
        try {
            return Duration.parse(value);
        } catch (RuntimeException e) {
            throw ConfigException.field(source, field,
                    "'" + text + "' is not a duration; write for example 30s, 5m, 2h or 1d");
        }
    }

    /** {@code 1048576}, {@code 512KB}, {@code 64MB}, {@code 10GiB}; units are powers of 1024. */
    static long size(String text, String source, String field) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw ConfigException.field(source, field,
                    "'" + text + "' is not a size; write for example 512MB, 10GB or a number of bytes");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        switch (unit.charAt(0)) {
            case 'k': return n << 10;
            case 'm': return n << 20;
            case 'g': return n << 30;
            case 't': return n << 40;
            default: return n;
        }
    }

    /** {@code true} or {@code false}, in any case. */
    static boolean bool(String text, String source, String field) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("true")) {
            return true;
        }
        if (value.equals("false")) {
            return false;
        }
        throw ConfigException.field(source, field, "'" + text + "' is not true or false");
    }

    /** The shortest form {@link #duration} reads back to the same value: {@code 5m}, {@code 30s}, {@code 250ms}. */
    static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (!d.equals(Duration.ofMillis(ms)) || ms < 0) {
            return d.toString();
        }
        if (ms == 0) {
            return "0s";
        }
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (ms % units[i] == 0) {
                return ms / units[i] + names[i];
            }
        }
        return ms + "ms";
    }

    /** The shortest form {@link #size} reads back to the same value: {@code 64MB}, {@code 20GB}, {@code 1000}. */
    static String formatSize(long bytes) {
        if (bytes == 0) {
            return "0";
        }
        String[] names = {"TB", "GB", "MB", "KB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < shifts.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes % unit == 0) {
                return bytes / unit + names[i];
            }
        }
        return Long.toString(bytes);
    }

    /** {@code text} with anything between {@code //} and {@code @} (URL user info) replaced by {@code ***}. */
    static String redactUserInfo(String text) {
        return text.replaceAll("//[^/@\\s]*@", "//" + Secret.MASK + "@");
    }

    /**
     * Replaces {@code ${VAR}} and {@code ${VAR:-default}} with values from the environment. An unset variable
     * without a default is an error that names the variable, never a silent empty credential.
     */
    static String interpolate(String text, Map<String, String> env, String source, String field) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null) {
                value = m.group(2);
            }
            if (value == null) {
                throw ConfigException.field(source, field,
                        "environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
