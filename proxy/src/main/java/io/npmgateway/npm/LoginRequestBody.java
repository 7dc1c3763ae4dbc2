package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The body of a legacy login ({@code PUT /-/user/org.couchdb.user:<name>}, from {@code npm login
 * --auth-type=legacy}, {@code npm adduser} and {@code yarn npm login}): a small JSON object of which only
 * {@code name} and {@code password} matter. Read with Jackson's streaming parser, top-level fields only.
 *
 * @param name     the {@code name} field, or null when absent
 * @param password the {@code password} field; never printed
 */
public record LoginRequestBody(String name, String password) {
    /** Largest login body read; npm's is a few hundred bytes. */
    public static final int MAX_BYTES = 64 * 1024;
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * @throws InvalidRequestException when the body is not a JSON object with a string {@code password}
     */
    public static LoginRequestBody parse(byte[] body) {
        if (body.length == 0) {
            throw new InvalidRequestException("login body is empty; expected {\"name\": ..., \"password\": ...}");
        }
        if (body.length > MAX_BYTES) {
            throw new InvalidRequestException("login body is larger than " + MAX_BYTES + " bytes");
        }
        String name = null;
        String password = null;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidRequestException("login body is not a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("name") && value == JsonToken.VALUE_STRING) {
                    name = p.getText();
                } else if (field.equals("password") && value == JsonToken.VALUE_STRING) {
                    password = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new InvalidRequestException("login body is not a single JSON object");
            }
        } catch (IOException e) {
            // The parser's message may quote the body, which holds the password: say only what is wrong.
            throw new InvalidRequestException("login body is not valid JSON");
        }
        if (password == null) {
            throw new InvalidRequestException("login body has no \"password\" string");
        }
        return new LoginRequestBody(name, password);
    }

    @Override
    public String toString() {
        return "LoginRequestBody[name=" + name + ", password=***]";
    }
}
