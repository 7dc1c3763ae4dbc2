package io.npmgateway.testing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One fixture package: its name, the releases published from its template under
 * {@code fixtures/packages/<name>/} (in order), and the versions later deprecated.
 *
 * @param name         the package name, e.g. {@code fixture-util} or {@code @fixture/app-lib}
 * @param releases     what is published, in publishing order
 * @param deprecations version to deprecation message
 */
public record FixturePackage(String name, List<Release> releases, Map<String, String> deprecations) {

    /** The dist-tag npm publishes to unless told otherwise. */
    public static final String LATEST = "latest";

    /**
     * One {@code npm publish} of the package.
     *
     * @param version the version stamped into the template's package.json
     * @param tag     the dist-tag it is published under ({@code --tag})
     */
    public record Release(String version, String tag) {
        public Release {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(tag, "tag");
        }
    }

    public FixturePackage {
        releases = List.copyOf(releases);
        deprecations = Map.copyOf(deprecations);
    }

    /** Every published version, in publishing order. */
    public List<String> versions() {
        return releases.stream().map(Release::version).toList();
    }

    /** The dist-tags the registry ends up with: each tag points at the last release published under it. */
    public Map<String, String> distTags() {
        Map<String, String> tags = new LinkedHashMap<>();
        releases.forEach(release -> tags.put(release.tag(), release.version()));
        return tags;
    }

    /** The tarball's file name as npm registries name it: {@code <name without scope>-<version>.tgz}. */
    public String tarballFileName(String version) {
        return name.substring(name.indexOf('/') + 1) + "-" + version + ".tgz";
    }

    /** The classpath directory of the template. */
    String templateResource() {
        return "fixtures/packages/" + name;
    }
}
