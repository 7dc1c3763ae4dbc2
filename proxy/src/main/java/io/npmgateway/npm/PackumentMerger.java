package io.npmgateway.npm;

import static io.npmgateway.npm.PackumentJson.copyValue;
import static io.npmgateway.npm.PackumentJson.next;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code merge} policy of a route: one package's documents from several upstreams, each already rewritten by
 * {@link PackumentRewriter} (so its versions know their upstream), combined into one document, in route order:
 *
 * <ul>
 *   <li>{@code versions}: the union; a version several upstreams have comes from the earliest of them, whole.</li>
 *   <li>{@code dist-tags}: each tag from the earliest upstream that has it.</li>
 *   <li>{@code time}: a version's entry from the upstream its manifest came from, {@code created} the earliest,
 *       {@code modified} the latest, anything else from the earliest upstream that has it.</li>
 *   <li>{@code _rev} is dropped (it names a revision of one upstream's document); every other field comes from
 *       the earliest upstream's document, in its order.</li>
 * </ul>
 *
 * Streaming, like the rewriter: documents reach 40 MB, and no JSON tree of one is ever built. The version manifests
 * are copied token by token from the inputs; only small indexes (version keys, dist-tags, {@code time} strings) are
 * held as maps. Both the full and the abbreviated documents are merged, from the inputs' own full and abbreviated
 * bytes.
 */
public final class PackumentMerger {

    private PackumentMerger() {
    }

    /**
     * Merges the documents of {@code name}, given in route order (earliest upstream first); a single document is
     * returned as is.
     */
    public static RewrittenPackument merge(PackageName name, List<RewrittenPackument> inRouteOrder) {
        if (inRouteOrder.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        if (inRouteOrder.size() == 1) {
            return inRouteOrder.get(0);
        }
        try {
            return new Merge(name, inRouteOrder).run();
        } catch (JsonProcessingException e) {
            // The inputs are the rewriter's own output: this is a bug, not bad upstream data.
            throw new IllegalStateException("merging rewritten documents of " + name + " failed", e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e); // cannot happen
        }
    }

    private static final class Merge {
        private final PackageName name;
        private final List<RewrittenPackument> docs;
        /** Version key to the index of the document whose manifest wins. */
        private final Map<String, Integer> winners = new HashMap<>();
        private final Map<String, String> distTags = new LinkedHashMap<>();
        private final Map<String, String> time = new LinkedHashMap<>();
        private final boolean anyTime;
        private String modified;

        Merge(PackageName name, List<RewrittenPackument> docs) throws IOException {
            this.name = name;
            this.docs = docs;
            for (int i = 0; i < docs.size(); i++) {
                for (String version : versionKeys(docs.get(i).full())) {
                    winners.putIfAbsent(version, i);
                }
                docs.get(i).distTags().forEach(distTags::putIfAbsent);
            }
            boolean sawTime = false;
            List<Map<String, String>> times = new ArrayList<>();
            for (RewrittenPackument doc : docs) {
                Map<String, String> t = timeOf(doc.full());
                sawTime |= t != null;
                times.add(t == null ? Map.of() : t);
            }
            anyTime = sawTime;
            mergeTime(times);
            modified = time.get("modified");
            for (RewrittenPackument doc : docs) {
                modified = latest(modified, doc.modified());
            }
        }

        RewrittenPackument run() throws IOException {
            byte[] full = mergeDocument(false);
            byte[] abbreviated = mergeDocument(true);
            Map<String, VersionDist> versions = new LinkedHashMap<>();
            Map<String, String> fileVersions = new HashMap<>();
            for (int i = 0; i < docs.size(); i++) {
                RewrittenPackument doc = docs.get(i);
                for (Map.Entry<String, VersionDist> v : doc.versions().entrySet()) {
                    if (winners.get(v.getKey()) == i) {
                        versions.put(v.getKey(), v.getValue());
                    }
                }
            }
            // Conventional names first (the same in every document), then the upstreams' original names.
            for (RewrittenPackument doc : docs) {
                doc.fileVersions().forEach(fileVersions::putIfAbsent);
            }
            return new RewrittenPackument(name, full, abbreviated, distTags, versions, fileVersions, modified);
        }

        private void mergeTime(List<Map<String, String>> times) {
            String created = null;
            String latestModified = null;
            for (Map<String, String> t : times) {
                created = earliest(created, t.get("created"));
                latestModified = latest(latestModified, t.get("modified"));
            }
            for (int i = 0; i < times.size(); i++) {
                for (Map.Entry<String, String> e : times.get(i).entrySet()) {
                    String key = e.getKey();
                    if (key.equals("created")) {
                        time.putIfAbsent(key, created);
                    } else if (key.equals("modified")) {
                        time.putIfAbsent(key, latestModified);
                    } else {
                        Integer winner = winners.get(key);
                        if (winner == null || winner == i || !times.get(winner).containsKey(key)) {
                            time.putIfAbsent(key, e.getValue());
                        }
                    }
                }
            }
        }

        /**
         * The merged full ({@code abbreviated == false}) or abbreviated document: the earliest upstream's fields in
         * its order, with {@code versions}, {@code dist-tags}, {@code time} and {@code modified} replaced by the
         * merged ones and {@code _rev} dropped.
         */
        private byte[] mergeDocument(boolean abbreviated) throws IOException {
            byte[] primary = bytes(0, abbreviated);
            ByteSink sink = new ByteSink(primary.length + primary.length / 4 + 1024);
            boolean wroteVersions = false;
            boolean wroteTags = false;
            boolean wroteTime = false;
            boolean wroteModified = false;
            try (JsonParser p = PackumentJson.FACTORY.createParser(primary);
                 JsonGenerator g = PackumentJson.FACTORY.createGenerator(sink)) {
                p.nextToken();
                g.writeStartObject();
                while (next(p) == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    next(p);
                    switch (field) {
                        case "_rev":
                            p.skipChildren();
                            break;
                        case "versions":
                            p.skipChildren();
                            g.writeFieldName(field);
                            writeVersions(g, abbreviated);
                            wroteVersions = true;
                            break;
                        case "dist-tags":
                            p.skipChildren();
                            g.writeFieldName(field);
                            writeStrings(g, distTags);
                            wroteTags = true;
                            break;
                        case "time":
                            if (abbreviated) {
                                g.writeFieldName(field);
                                copyValue(p, g, null);
                            } else {
                                p.skipChildren();
                                g.writeFieldName(field);
                                writeStrings(g, time);
                                wroteTime = true;
                            }
                            break;
                        case "modified":
                            if (abbreviated && modified != null) {
                                p.skipChildren();
                                g.writeStringField(field, modified);
                                wroteModified = true;
                            } else {
                                g.writeFieldName(field);
                                copyValue(p, g, null);
                            }
                            break;
                        default:
                            g.writeFieldName(field);
                            copyValue(p, g, null);
                            break;
                    }
                }
                if (!wroteTags && !distTags.isEmpty()) {
                    g.writeFieldName("dist-tags");
                    writeStrings(g, distTags);
                }
                if (!wroteVersions) {
                    g.writeFieldName("versions");
                    writeVersions(g, abbreviated);
                }
                if (!abbreviated && !wroteTime && anyTime) {
                    g.writeFieldName("time");
                    writeStrings(g, time);
                }
                if (abbreviated && !wroteModified && modified != null) {
                    g.writeStringField("modified", modified);
                }
                g.writeEndObject();
            }
            return sink.toByteArray();
        }

        /** Each document's winning manifests, in route order and then document order. */
        private void writeVersions(JsonGenerator g, boolean abbreviated) throws IOException {
            g.writeStartObject();
            Set<String> written = new java.util.HashSet<>();
            for (int i = 0; i < docs.size(); i++) {
                try (JsonParser p = PackumentJson.FACTORY.createParser(bytes(i, abbreviated))) {
                    if (!toField(p, "versions")) {
                        continue;
                    }
                    while (next(p) == JsonToken.FIELD_NAME) {
                        String version = p.currentName();
                        next(p);
                        Integer winner = winners.get(version);
                        if (winner != null && winner == i && written.add(version)) {
                            g.writeFieldName(version);
                            copyValue(p, g, null);
                        } else {
                            p.skipChildren();
                        }
                    }
                }
            }
            g.writeEndObject();
        }

        private byte[] bytes(int index, boolean abbreviated) {
            RewrittenPackument doc = docs.get(index);
            return abbreviated ? doc.abbreviated() : doc.full();
        }
    }

    /** Moves the parser to the value of the top-level {@code field} if it is an object; false when there is none. */
    private static boolean toField(JsonParser p, String field) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return false;
        }
        while (next(p) == JsonToken.FIELD_NAME) {
            boolean wanted = p.currentName().equals(field);
            JsonToken value = next(p);
            if (wanted && value == JsonToken.START_OBJECT) {
                return true;
            }
            p.skipChildren();
        }
        return false;
    }

    /** The keys of a document's {@code versions} object, in order. */
    private static Set<String> versionKeys(byte[] document) throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        try (JsonParser p = PackumentJson.FACTORY.createParser(document)) {
            if (toField(p, "versions")) {
                while (next(p) == JsonToken.FIELD_NAME) {
                    keys.add(p.currentName());
                    next(p);
                    p.skipChildren();
                }
            }
        }
        return keys;
    }

    /** The string entries of a document's {@code time} object; null when it has none. */
    private static Map<String, String> timeOf(byte[] document) throws IOException {
        try (JsonParser p = PackumentJson.FACTORY.createParser(document)) {
            if (!toField(p, "time")) {
                return null;
            }
            Map<String, String> entries = new LinkedHashMap<>();
            while (next(p) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (next(p) == JsonToken.VALUE_STRING) {
                    entries.putIfAbsent(key, p.getText());
                } else {
                    p.skipChildren();
                }
            }
            return entries;
        }
    }

    private static void writeStrings(JsonGenerator g, Map<String, String> entries) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    /** The earlier of two timestamps; null only when both are. */
    static String earliest(String a, String b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return compareTimes(a, b) <= 0 ? a : b;
    }

    /** The later of two timestamps; null only when both are. */
    static String latest(String a, String b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return compareTimes(a, b) >= 0 ? a : b;
    }

    /** Orders ISO-8601 timestamps; unparseable ones compare as text. */
    private static int compareTimes(String a, String b) {
        try {
            return Instant.parse(a).compareTo(Instant.parse(b));
        } catch (DateTimeParseException e) {
            return a.compareTo(b);
        }
    }
}
