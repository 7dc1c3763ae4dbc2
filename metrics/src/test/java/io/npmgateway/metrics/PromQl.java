package io.npmgateway.metrics;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough PromQL reading for the dashboard test: the metric (series) names an expression selects.
 * Not a parser; it removes what cannot be a metric name and keeps the identifiers that are left.
 */
final class PromQl {

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", Pattern.CASE_INSENSITIVE);
    /** {@code label_values(metric, label)} in Grafana variable queries: keep only the metric. */
    private static final Pattern LABEL_VALUES = Pattern.compile("\\blabel_values\\s*\\(\\s*([^,)]+?)\\s*,\\s*[a-zA-Z_]\\w*\\s*\\)");
    /** An identifier not preceded by a digit, dot, {@code $} or word character (so not a number or a variable). */
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of(
            "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
            "inf", "nan", "atan2", "start", "end");

    private PromQl() {}

    /** The metric names {@code expr} selects, in order of appearance. */
    static Set<String> metricNames(String expr) {
        String s = STRING.matcher(expr).replaceAll(" ");
        s = LABEL_VALUES.matcher(s).replaceAll("$1");
        s = LABEL_MATCHERS.matcher(s).replaceAll(" ");
        s = RANGE.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String name = m.group();
            int next = m.end();
            while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
                next++;
            }
            boolean isFunction = next < s.length() && s.charAt(next) == '(';
            if (!isFunction && !KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * The family a series name belongs to in Prometheus text format's HELP lines: histogram and summary series
     * drop {@code _bucket}, {@code _count} or {@code _sum}; counters keep {@code _total} (the text format's HELP
     * names it), and units such as {@code _seconds} are part of the name.
     */
    static Set<String> candidateFamilies(String series) {
        Set<String> families = new LinkedHashSet<>();
        families.add(series);
        for (String suffix : new String[] {"_bucket", "_count", "_sum", "_total"}) {
            if (series.endsWith(suffix)) {
                families.add(series.substring(0, series.length() - suffix.length()));
            }
        }
        return families;
    }
}
