package org.jairouter.load;

/**
 * One reading of a model server's own state.
 *
 * @param waiting requests queued, not yet running
 * @param running requests in the running batch
 * @param kvCacheUsage share of the KV cache in use, 0 to 1
 */
record ServerLoad(double waiting, double running, double kvCacheUsage) {}
