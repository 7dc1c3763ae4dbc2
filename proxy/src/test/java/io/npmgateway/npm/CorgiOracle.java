package io.npmgateway.npm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * A tree-based port of npm's registry minifier (reference §2.2/2.3), written independently of the streaming code
 * so the two can be compared on any document small enough to hold as a tree. Test code only.
 */
final class CorgiOracle {

    private static final List<String> MANIFEST_KEEP = List.of(
            "name", "version", "dependencies", "optionalDependencies", "devDependencies", "bundleDependencies",
            "peerDependencies", "acceptDependencies", "bin", "_hasShrinkwrap", "directories", "dist", "engines",
            "deprecated", "peerDependenciesMeta", "funding", "os", "cpu");

    private CorgiOracle() {
    }

    static ObjectNode minify(JsonNode doc) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (String field : List.of("name", "dist-tags")) {
            if (doc.has(field)) {
                out.set(field, doc.get(field));
            }
        }
        JsonNode versions = doc.get("versions");
        if (isTruthy(versions)) {
            ObjectNode small = out.putObject("versions");
            for (Map.Entry<String, JsonNode> version : versions.properties()) {
                small.set(version.getKey(), minifyManifest(version.getValue()));
            }
        }
        JsonNode modified = doc.path("time").path("modified");
        if (!isEmpty(modified)) {
            out.set("modified", modified);
        }
        return out;
    }

    private static ObjectNode minifyManifest(JsonNode manifest) {
        ObjectNode small = JsonNodeFactory.instance.objectNode();
        for (String field : MANIFEST_KEEP) {
            JsonNode value = manifest.get(field);
            if (field.equals("bundleDependencies") && !isTruthy(value)) {
                value = manifest.get("bundledDependencies");
            }
            if (!isEmpty(value)) {
                small.set(field, value);
            }
        }
        JsonNode scripts = manifest.path("scripts");
        if (isTruthy(scripts.get("preinstall")) || isTruthy(scripts.get("install")) || isTruthy(scripts.get("postinstall"))) {
            small.put("hasInstallScript", true);
        }
        return small;
    }

    /** JavaScript truthiness of a JSON value. */
    static boolean isTruthy(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return false;
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        if (value.isTextual()) {
            return !value.textValue().isEmpty();
        }
        if (value.isNumber()) {
            return value.decimalValue().signum() != 0;
        }
        return true;
    }

    /** The minifier's isEmpty: falsy, or an object/array without entries. */
    static boolean isEmpty(JsonNode value) {
        return !isTruthy(value) || (value.isContainerNode() && value.isEmpty());
    }
}
