package io.npmgateway.npm;

import static io.npmgateway.npm.PackumentJson.copyFrom;
import static io.npmgateway.npm.PackumentJson.copyValue;
import static io.npmgateway.npm.PackumentJson.describe;
import static io.npmgateway.npm.PackumentJson.endContainer;
import static io.npmgateway.npm.PackumentJson.isEmptyScalar;
import static io.npmgateway.npm.PackumentJson.next;
import static io.npmgateway.npm.PackumentJson.printable;
import static io.npmgateway.npm.PackumentJson.startContainer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One streaming pass over an upstream packument, writing the rewritten full document and the abbreviated one
 * side by side and collecting the indexes of a {@link RewrittenPackument}. Single use; not thread-safe.
 *
 * <p>Every token is read once: values the corgi keeps are copied to both generators as they stream past, and
 * the few corgi fields that depend on something later in the input ({@code hasInstallScript},
 * {@code bundleDependencies} spelled {@code bundledDependencies}, {@code modified}) are written when their object
 * closes.
 */
final class PackumentPass {

    private final JsonParser parser;
    private final JsonGenerator full;
    private final JsonGenerator abbreviated;
    private final PackageName name;
    /** {@code <base><@scope/name>/-/}: only the file name differs between versions. */
    private final String tarballPrefix;
    private final String upstreamId;

    private final Map<String, String> distTags = new LinkedHashMap<>();
    private final Map<String, VersionDist> versions = new LinkedHashMap<>();
    private final Map<String, String> fileVersions = new HashMap<>();
    private String modified;
    /** Shared by every version's {@link VersionDist}: see its packed form. */
    private final String fileNamePrefix;
    private String upstreamUrlPrefix;
    private boolean sawName;
    private boolean sawDistTags;
    private boolean sawVersions;
    private boolean sawTime;

    PackumentPass(JsonParser parser, JsonGenerator full, JsonGenerator abbreviated, PackageName name, String baseUrl,
            String upstreamId) {
        this.upstreamId = upstreamId;
        this.parser = parser;
        this.full = full;
        this.abbreviated = abbreviated;
        this.name = name;
        this.tarballPrefix = baseUrl + name + "/-/";
        this.fileNamePrefix = name.unscopedName() + "-";
    }

    Map<String, String> distTags() {
        return distTags;
    }

    Map<String, VersionDist> versions() {
        return versions;
    }

    Map<String, String> fileVersions() {
        return fileVersions;
    }

    String modified() {
        return modified;
    }

    void run() throws IOException {
        JsonToken token = parser.nextToken();
        if (token != JsonToken.START_OBJECT) {
            throw malformed(token == null ? "is empty" : "is " + describe(token) + ", not a JSON object");
        }
        full.writeStartObject();
        abbreviated.writeStartObject();
        while (next(parser) == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            full.writeFieldName(field);
            JsonToken value = next(parser);
            switch (field) {
                case "name":
                    sawName = once(sawName, field);
                    name(value);
                    break;
                case "dist-tags":
                    sawDistTags = once(sawDistTags, field);
                    distTags(value);
                    break;
                case "versions":
                    sawVersions = once(sawVersions, field);
                    versions(value);
                    break;
                case "time":
                    sawTime = once(sawTime, field);
                    time(value);
                    break;
                default:
                    copyValue(parser, full, null);
                    break;
            }
        }
        if (!sawName) {
            // Clients key their caches by the corgi's name; an upstream that omits it still told us what it is.
            abbreviated.writeStringField("name", name.toString());
        }
        if (modified != null) {
            // Here rather than in document order because "time" usually follows "versions".
            abbreviated.writeStringField("modified", modified);
        }
        full.writeEndObject();
        abbreviated.writeEndObject();
        if (parser.nextToken() != null) {
            throw malformed("has content after the top-level object");
        }
    }

    /**
     * The fields that decide what the rewrite means must be unambiguous: JSON.parse keeps the last duplicate,
     * a streaming pass would act on both.
     */
    private boolean once(boolean seen, String field) {
        if (seen) {
            throw malformed("has \"" + field + "\" twice");
        }
        return true;
    }

    private void name(JsonToken value) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw malformed("has a \"name\" that is " + describe(value) + ", not a string");
        }
        String documentName = parser.getText();
        if (!documentName.equals(name.toString())) {
            throw malformed("is named \"" + printable(documentName) + "\"");
        }
        full.writeString(documentName);
        abbreviated.writeStringField("name", documentName);
    }

    private void distTags(JsonToken value) throws IOException {
        abbreviated.writeFieldName("dist-tags");
        if (value != JsonToken.START_OBJECT) {
            copyValue(parser, full, abbreviated);
            return;
        }
        full.writeStartObject();
        abbreviated.writeStartObject();
        while (next(parser) == JsonToken.FIELD_NAME) {
            String tag = parser.currentName();
            full.writeFieldName(tag);
            abbreviated.writeFieldName(tag);
            if (next(parser) == JsonToken.VALUE_STRING) {
                distTags.put(tag, parser.getText());
            }
            copyValue(parser, full, abbreviated);
        }
        full.writeEndObject();
        abbreviated.writeEndObject();
    }

    private void time(JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            copyValue(parser, full, null);
            return;
        }
        full.writeStartObject();
        while (next(parser) == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            full.writeFieldName(key);
            if (next(parser) == JsonToken.VALUE_STRING && key.equals("modified") && parser.getTextLength() > 0) {
                modified = parser.getText();
            }
            copyValue(parser, full, null);
        }
        full.writeEndObject();
    }

    private void versions(JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            throw malformed("has \"versions\" that is " + describe(value) + ", not an object");
        }
        full.writeStartObject();
        abbreviated.writeFieldName("versions");
        abbreviated.writeStartObject();
        VersionPass versionPass = new VersionPass();
        while (next(parser) == JsonToken.FIELD_NAME) {
            String version = parser.currentName();
            full.writeFieldName(version);
            abbreviated.writeFieldName(version);
            if (next(parser) == JsonToken.START_OBJECT) {
                versionPass.run(version);
            } else {
                // Not a manifest: nothing to rewrite, and nothing better to put in the corgi than the same value.
                copyValue(parser, full, abbreviated);
            }
        }
        full.writeEndObject();
        abbreviated.writeEndObject();
    }

    private void register(String version, String upstreamTarball, String integrity, String shasum) {
        String fileName = TarballFileNames.conventional(name, version);
        String decoded = TarballFileNames.conventionalDecoded(name, version);
        VersionDist dist = new VersionDist(version, fileNamePrefix, upstreamTarball, upstreamUrlPrefix, integrity,
                shasum, upstreamId);
        if (dist.upstreamUrlPrefix() != null) {
            upstreamUrlPrefix = dist.upstreamUrlPrefix();
        }
        // A duplicate version key replaces the earlier one, as JSON.parse would.
        versions.put(version, dist);
        // Conventional names always win, and the index finds a version's unencoded one without keeping it; an
        // upstream's original name only fills a gap.
        if (!fileName.equals(decoded)) {
            fileVersions.put(fileName, version);
        }
        for (String original : TarballFileNames.originals(upstreamTarball)) {
            if (!original.equals(fileName) && !original.equals(decoded)) {
                fileVersions.putIfAbsent(original, version);
            }
        }
    }

    private MalformedPackumentException malformed(String what) {
        return new MalformedPackumentException("packument of " + name + " " + what + PackumentJson.at(parser.currentLocation()));
    }

    /** One {@code versions[v]} object; reused across versions to avoid per-version allocation. */
    private final class VersionPass {
        private String version;
        private boolean bundleDependenciesTruthy;
        private ByteSink bundledDependencies;
        private boolean hasInstallScript;

        void run(String version) throws IOException {
            this.version = version;
            bundleDependenciesTruthy = false;
            bundledDependencies = null;
            hasInstallScript = false;

            full.writeStartObject();
            abbreviated.writeStartObject();
            while (next(parser) == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                full.writeFieldName(field);
                JsonToken value = next(parser);
                switch (field) {
                    case "dist":
                        dist(value);
                        break;
                    case "scripts":
                        scripts(value);
                        break;
                    case "bundledDependencies":
                        bundledDependencies = captureUnlessEmpty(value);
                        break;
                    case "bundleDependencies":
                        // npm's minifier: the old spelling is used only when this one is falsy.
                        bundleDependenciesTruthy = !(value.isScalarValue() && isEmptyScalar(parser, value));
                        copyUnlessEmpty(field, value);
                        break;
                    default:
                        if (AbbreviatedFields.isKept(field)) {
                            copyUnlessEmpty(field, value);
                        } else {
                            copyValue(parser, full, null);
                        }
                        break;
                }
            }
            if (bundledDependencies != null && !bundleDependenciesTruthy) {
                abbreviated.writeFieldName("bundleDependencies");
                replay(bundledDependencies.toByteArray());
            }
            if (hasInstallScript) {
                abbreviated.writeBooleanField("hasInstallScript", true);
            }
            full.writeEndObject();
            abbreviated.writeEndObject();
        }

        /**
         * Copies a corgi field to both documents, or only to the full one when npm's minifier would drop it as
         * empty. A container's emptiness shows only in its next token, so its start is written to the corgi late.
         */
        private void copyUnlessEmpty(String field, JsonToken value) throws IOException {
            if (value.isStructStart()) {
                startContainer(full, value);
                JsonToken first = next(parser);
                if (first.isStructEnd()) {
                    endContainer(full, value);
                    return;
                }
                abbreviated.writeFieldName(field);
                startContainer(abbreviated, value);
                copyFrom(parser, 1, full, abbreviated);
            } else if (isEmptyScalar(parser, value)) {
                copyValue(parser, full, null);
            } else {
                abbreviated.writeFieldName(field);
                copyValue(parser, full, abbreviated);
            }
        }

        private void dist(JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                copyUnlessEmpty("dist", value);
                return;
            }
            full.writeStartObject();
            JsonToken token = next(parser);
            if (token == JsonToken.END_OBJECT) {
                full.writeEndObject();
                return;
            }
            abbreviated.writeFieldName("dist");
            abbreviated.writeStartObject();
            String upstreamTarball = null;
            String integrity = null;
            String shasum = null;
            do {
                String field = parser.currentName();
                full.writeFieldName(field);
                abbreviated.writeFieldName(field);
                JsonToken fieldValue = next(parser);
                if (fieldValue == JsonToken.VALUE_STRING && field.equals("tarball")) {
                    // Every string tarball is rewritten, duplicates included: an upstream URL left in either
                    // document would send clients around the gateway.
                    upstreamTarball = parser.getText();
                    String rewritten = tarballPrefix + TarballFileNames.conventional(name, version);
                    full.writeString(rewritten);
                    abbreviated.writeString(rewritten);
                    continue;
                }
                if (fieldValue == JsonToken.VALUE_STRING) {
                    if (field.equals("integrity")) {
                        integrity = parser.getText();
                    } else if (field.equals("shasum")) {
                        shasum = parser.getText();
                    }
                }
                copyValue(parser, full, abbreviated);
            } while (next(parser) == JsonToken.FIELD_NAME);
            full.writeEndObject();
            abbreviated.writeEndObject();
            if (upstreamTarball != null) {
                register(version, upstreamTarball, integrity, shasum);
            }
        }

        /** Copied to the full document only; the corgi keeps just the fact that an install script exists. */
        private void scripts(JsonToken value) throws IOException {
            if (value != JsonToken.START_OBJECT) {
                copyValue(parser, full, null);
                return;
            }
            full.writeStartObject();
            while (next(parser) == JsonToken.FIELD_NAME) {
                String script = parser.currentName();
                full.writeFieldName(script);
                JsonToken scriptValue = next(parser);
                if (AbbreviatedFields.isInstallScript(script)
                        && !(scriptValue.isScalarValue() && isEmptyScalar(parser, scriptValue))) {
                    hasInstallScript = true;
                }
                copyValue(parser, full, null);
            }
            full.writeEndObject();
        }

        /**
         * The old spelling is rare and may precede or follow the new one, so it is kept aside (a few bytes) and
         * written under the new name when the version closes, if the new one did not win.
         */
        private ByteSink captureUnlessEmpty(JsonToken value) throws IOException {
            if (value.isScalarValue() && isEmptyScalar(parser, value)) {
                copyValue(parser, full, null);
                return null;
            }
            if (value.isStructStart()) {
                startContainer(full, value);
                JsonToken first = next(parser);
                if (first.isStructEnd()) {
                    endContainer(full, value);
                    return null;
                }
                ByteSink sink = new ByteSink(256);
                try (JsonGenerator capture = PackumentJson.FACTORY.createGenerator(sink)) {
                    startContainer(capture, value);
                    copyFrom(parser, 1, full, capture);
                }
                return sink;
            }
            ByteSink sink = new ByteSink(64);
            try (JsonGenerator capture = PackumentJson.FACTORY.createGenerator(sink)) {
                copyValue(parser, full, capture);
            }
            return sink;
        }

        private void replay(byte[] captured) throws IOException {
            try (JsonParser replay = PackumentJson.FACTORY.createParser(captured)) {
                replay.nextToken();
                copyValue(replay, abbreviated, null);
            }
        }
    }
}
