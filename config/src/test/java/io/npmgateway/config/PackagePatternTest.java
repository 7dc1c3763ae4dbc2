package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PackagePatternTest {
    private static boolean matches(String pattern, String name) {
        return PackagePattern.parse(pattern).matches(name);
    }

    @Test
    void theBareStarMatchesEverything() {
        assertThat(matches("*", "lodash")).isTrue();
        assertThat(matches("*", "@corp/tool")).isTrue();
        assertThat(PackagePattern.parse("*").matchesEverything()).isTrue();
        assertThat(PackagePattern.parse("@*/*").matchesEverything()).isFalse();
    }

    @Test
    void aScopeMatchesItsPackagesOnly() {
        assertThat(matches("@corp/*", "@corp/tool")).isTrue();
        assertThat(matches("@corp/*", "@corp-ui/tool")).isFalse();
        assertThat(matches("@corp/*", "@corpx/tool")).isFalse();
        assertThat(matches("@corp/*", "corp")).isFalse();
        assertThat(matches("@corp/*", "@corp")).isFalse();
        assertThat(matches("@corp/*", "@corp/a/b")).isFalse();
    }

    @Test
    void aWildcardInTheScope() {
        assertThat(matches("@corp-*/*", "@corp-ui/button")).isTrue();
        assertThat(matches("@corp-*/*", "@corp-data/db")).isTrue();
        assertThat(matches("@corp-*/*", "@corp/tool")).isFalse();
        assertThat(matches("@corp-*/*", "@acorp-ui/tool")).isFalse();
        assertThat(matches("@*/*", "@any/thing")).isTrue();
        assertThat(matches("@*/*", "lodash")).isFalse();
    }

    @Test
    void exactNamesAndUnscopedWildcards() {
        assertThat(matches("lodash", "lodash")).isTrue();
        assertThat(matches("lodash", "lodash.merge")).isFalse();
        assertThat(matches("@corp/tool", "@corp/tool")).isTrue();
        assertThat(matches("@corp/tool", "@corp/tools")).isFalse();
        assertThat(matches("corp-*", "corp-logger")).isTrue();
        assertThat(matches("corp-*", "@corp-x/logger")).isFalse();
        assertThat(matches("*-internal", "billing-internal")).isTrue();
        assertThat(matches("a*b*c", "aXXbYYc")).isTrue();
        assertThat(matches("a*b*c", "aXXbYY")).isFalse();
        assertThat(matches("JSONStream", "jsonstream")).isFalse(); // case-sensitive, like names
    }

    @Test
    void badPatternsSayWhatIsExpected() {
        for (String bad : List.of("", "corp/*", "@corp", "@/*", "@corp/", "@corp/*/x", "a b", "*/*", ".hidden",
                "@corp/a%2fb")) {
            assertThatThrownBy(() -> PackagePattern.parse(bad), bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a package pattern; expected '*'");
        }
    }

    @Test
    void routesAreTriedInOrderAndTheFirstMatchWins() {
        RouteConfig corp = new RouteConfig("@corp/*", List.of("corp"));
        RouteConfig corpFamily = new RouteConfig("@corp-*/*", List.of("family"));
        RouteConfig tool = new RouteConfig("@corp/special", List.of("never")); // shadowed by @corp/*
        RouteConfig rest = new RouteConfig("*", List.of("public"));
        RouteTable table = new RouteTable(List.of(corp, corpFamily, tool, rest));

        assertThat(table.routeFor("@corp/special")).contains(corp);
        assertThat(table.routeFor("@corp-ui/x")).contains(corpFamily);
        assertThat(table.routeFor("left-pad")).contains(rest);
        assertThat(new RouteTable(List.of(corp)).routeFor("left-pad")).isEmpty();
    }
}
