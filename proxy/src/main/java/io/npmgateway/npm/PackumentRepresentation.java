package io.npmgateway.npm;

import java.util.Locale;

/**
 * Which packument a client gets: the full document or the abbreviated ("corgi") one, chosen from its
 * {@code Accept} header.
 *
 * <p>Sits in the packument route just before the cache lookup: the representation picks which of the two
 * pre-rewritten byte arrays of a {@link RewrittenPackument} is sent and which {@code Content-Type} goes with it
 * (pnpm 11 checks that the type echoes what it asked for). Full is the safe answer: every client can use it, so
 * anything unexpected in the header yields {@link #FULL}.
 */
public enum PackumentRepresentation {
    FULL("application/json"),
    ABBREVIATED("application/vnd.npm.install-v1+json");

    /**
     * Real clients send under 100 characters; anything this long is not worth parsing and gets the full
     * document, which bounds the work an attacker can ask for per request.
     */
    static final int MAX_ACCEPT_LENGTH = 8 * 1024;

    private static final String CORGI = "application/vnd.npm.install-v1+json";
    private static final String JSON = "application/json";

    private final String contentType;

    PackumentRepresentation(String contentType) {
        this.contentType = contentType;
    }

    /** The media type to answer with. */
    public String contentType() {
        return contentType;
    }

    /**
     * The corgi only if {@code application/vnd.npm.install-v1+json} is listed explicitly with q &gt; 0 and a q at
     * least that of {@code application/json} (taken from the most specific of {@code application/json},
     * {@code application/*} and {@code *}{@code /*}, 0 when none is listed). An absent, oversized or
     * unparseable header means {@link #FULL}. Never throws.
     */
    public static PackumentRepresentation negotiate(String accept) {
        if (accept == null || accept.isEmpty() || accept.length() > MAX_ACCEPT_LENGTH) {
            return FULL;
        }
        // Clients send the same few Accept strings on every request; parsing one costs ~10x the cache lookup it
        // precedes, so the last answer is kept (a racy read only means parsing again).
        Negotiated last = lastNegotiated;
        if (last != null && last.accept().equals(accept)) {
            return last.result();
        }
        PackumentRepresentation result = parse(accept);
        lastNegotiated = new Negotiated(accept, result);
        return result;
    }

    private record Negotiated(String accept, PackumentRepresentation result) {
    }

    private static volatile Negotiated lastNegotiated;

    private static PackumentRepresentation parse(String accept) {
        Weights weights = new Weights();
        int start = 0;
        while (start <= accept.length()) {
            int comma = accept.indexOf(',', start);
            int end = comma < 0 ? accept.length() : comma;
            if (!weights.add(accept, start, end)) {
                return FULL;
            }
            start = end + 1;
        }
        return weights.prefersCorgi() ? ABBREVIATED : FULL;
    }

    /** The best q seen for each media range that matters; -1 means not listed. */
    private static final class Weights {
        private int corgi = -1;
        private int json = -1;
        private int applicationWildcard = -1;
        private int anyWildcard = -1;

        /** Parses one list element {@code type/subtype *( ";" name=value )}; false when it is garbage. */
        boolean add(String header, int from, int to) {
            String element = trimOws(header.substring(from, to));
            if (element.isEmpty()) {
                return true; // RFC 9110 lists tolerate empty elements ("a, , b")
            }
            String[] parts = element.split(";", -1);
            String range = trimOws(parts[0]).toLowerCase(Locale.ROOT);
            if (!isMediaRange(range)) {
                return false;
            }
            int q = 1000;
            for (int i = 1; i < parts.length; i++) {
                String parameter = trimOws(parts[i]);
                if (parameter.isEmpty()) {
                    continue;
                }
                int equals = parameter.indexOf('=');
                if (equals <= 0) {
                    return false;
                }
                if (trimOws(parameter.substring(0, equals)).equalsIgnoreCase("q")) {
                    q = parseQ(trimOws(parameter.substring(equals + 1)));
                    if (q < 0) {
                        return false;
                    }
                }
            }
            switch (range) {
                case CORGI:
                    corgi = Math.max(corgi, q);
                    break;
                case JSON:
                    json = Math.max(json, q);
                    break;
                case "application/*":
                    applicationWildcard = Math.max(applicationWildcard, q);
                    break;
                case "*/*":
                    anyWildcard = Math.max(anyWildcard, q);
                    break;
                default:
                    break;
            }
            return true;
        }

        boolean prefersCorgi() {
            // A wildcard never selects the corgi: clients that cannot read it would get it.
            int jsonWeight = json >= 0 ? json : applicationWildcard >= 0 ? applicationWildcard : Math.max(anyWildcard, 0);
            return corgi > 0 && corgi >= jsonWeight;
        }

        /** Strips only RFC 9110 optional whitespace (SP, HTAB): other control characters make the element garbage. */
        private static String trimOws(String text) {
            int start = 0;
            int end = text.length();
            while (start < end && (text.charAt(start) == ' ' || text.charAt(start) == '\t')) {
                start++;
            }
            while (end > start && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t')) {
                end--;
            }
            return text.substring(start, end);
        }

        private static boolean isMediaRange(String range) {
            int slash = range.indexOf('/');
            if (slash <= 0 || slash == range.length() - 1 || range.indexOf('/', slash + 1) >= 0) {
                return false;
            }
            for (int i = 0; i < range.length(); i++) {
                char c = range.charAt(i);
                if (i != slash && !isTokenChar(c)) {
                    return false;
                }
            }
            return true;
        }

        /** RFC 9110 tchar. */
        private static boolean isTokenChar(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }

        /** RFC 9110 qvalue ({@code 0[.ddd]} or {@code 1[.000]}) in thousandths, or -1 when invalid. */
        private static int parseQ(String text) {
            if (text.isEmpty() || text.length() > 5) {
                return -1;
            }
            char whole = text.charAt(0);
            if (whole != '0' && whole != '1') {
                return -1;
            }
            int value = (whole - '0') * 1000;
            if (text.length() > 1) {
                if (text.charAt(1) != '.') {
                    return -1;
                }
                int scale = 100;
                for (int i = 2; i < text.length(); i++, scale /= 10) {
                    char digit = text.charAt(i);
                    if (digit < '0' || digit > '9') {
                        return -1;
                    }
                    value += (digit - '0') * scale;
                }
            }
            return value <= 1000 ? value : -1;
        }
    }
}
