/** Timings of the node's metrics, each with why it is what it is. */

/** How often the stats sampler reads the node's counters: a live chart moves every second, and a
 * read of four counters a second costs nothing. */
export const STATS_INTERVAL_MS = 1_000

/** Samples the sampler keeps for a chart that opens: 5 minutes at STATS_INTERVAL_MS (a few hundred
 * KiB with every member's load). */
export const STATS_CAPACITY = 300

/** Scrapes of /metrics within one second that make a flood (RenderedMetrics): a Prometheus scrapes
 * every 15 s or so, a few of them a few times that; only a load test, a misconfigured scraper or
 * an attack asks 20 times a second. */
export const METRICS_FLOOD_SCRAPES = 20

/** How long one rendering of /metrics answers the scrapes of a flood: at most ten renderings a
 * second (each one collects every series and writes ~50 KB of text: 1 to 2 ms of CPU). */
export const METRICS_REUSE_MS = 100
