/** Timings of the node's metrics, each with why it is what it is. */

/** How often the stats sampler reads the node's counters: a live chart moves every second, and a
 * read of four counters a second costs nothing. */
export const STATS_INTERVAL_MS = 1_000

/** Samples the sampler keeps for a chart that opens: 5 minutes at STATS_INTERVAL_MS (a few hundred
 * KiB with every member's load). */
export const STATS_CAPACITY = 300
