package org.jairouter.config;

import java.util.Arrays;
import java.util.List;

/**
 * Spring's profile expressions, as {@code spring.config.activate.on-profile} takes them: a name,
 * {@code !name}, and {@code a | b} or {@code a & b} of those (without parentheses).
 */
final class ProfileExpression {
    private ProfileExpression() {}

    static boolean matches(String expression, List<String> active) {
        return Arrays.stream(expression.split("\\|"))
                .anyMatch(all -> Arrays.stream(all.split("&")).allMatch(term -> holds(term.trim(), active)));
    }

    private static boolean holds(String term, List<String> active) {
        return term.startsWith("!") ? !active.contains(term.substring(1).trim()) : active.contains(term);
    }
}
