package io.npmgateway.metrics;

/** An HTTP status code reduced to its class: the {@code status} label. Package-private: callers pass ints. */
enum StatusClass {
    INFORMATIONAL("1xx"),
    SUCCESS("2xx"),
    REDIRECTION("3xx"),
    CLIENT_ERROR("4xx"),
    SERVER_ERROR("5xx"),
    /** No valid status: the exchange ended before one was sent or received (0, negative, or over 599). */
    NONE("none");

    private static final StatusClass[] BY_HUNDREDS = {NONE, INFORMATIONAL, SUCCESS, REDIRECTION, CLIENT_ERROR, SERVER_ERROR};

    private final String label;

    StatusClass(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    static StatusClass of(int status) {
        if (status < 100 || status > 599) {
            return NONE;
        }
        return BY_HUNDREDS[status / 100];
    }
}
