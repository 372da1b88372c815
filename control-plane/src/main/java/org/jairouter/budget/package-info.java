/**
 * Daily budgets of client keys ({@code daily-request-limit}, {@code daily-token-limit}): a ledger of
 * what each key used today, fed through {@link org.jairouter.budget.KeyUsage} by whoever reads Envoy's
 * usage, kept in the work dir across restarts and reset at 00:00 UTC. It tells the router which keys
 * are spent; the router then pushes a deny for them to every Envoy. Depends on config only.
 */
package org.jairouter.budget;
