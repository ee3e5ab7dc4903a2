/**
 * Limits of the admin endpoint, each with why it is what it is.
 */

/** Largest request body: an admin request is a few fields (a name, a note of at most 1000
 * characters); anything near this is a mistake or an attack, refused unparsed (413). */
export const ADMIN_BODY_LIMIT = 64 * 1024

/** Longest path parameter: an entity key is up to 200 characters, up to three times that
 * percent-encoded. */
export const ADMIN_MAX_PARAM_LENGTH = 1024

/** Log lines sent first to a new reader of the live tail, and listed by `/logs` by default: a
 * screenful and more, a fraction of the 1000 the node keeps. */
export const LOG_HISTORY = 200

/** Samples `GET /stats` lists when not asked for more (`?limit=N`, up to STATS_CAPACITY): its
 * readers want the newest (`plexi admin top` reads the last one), and the whole 5 minutes are
 * ~170 KB with three members, which bounded the route at 0.02x a bare route under load (the chart's
 * history comes whole from `/stats/stream`). */
export const STATS_DEFAULT_SAMPLES = 10

/** Rows of a list page when the request names no `limit` (actors, partitions): a screenful and
 * more, a few KB to send; at 3 nodes the whole actor list was 130 KB, and writing it bound the
 * route to 300 answers a second. */
export const ADMIN_LIST_PAGE = 100

/** Partitions of a `/partitions` page when the request names no `limit`: a partition's row is
 * ~770 bytes with three replicas, so ADMIN_LIST_PAGE of them (77 KB) bound the route by its size
 * (0.07-0.18x a bare route); 16 are 12 KB. The CLI and the dashboard ask for `limit=1000`. */
export const ADMIN_PARTITIONS_PAGE = 16

/** Most rows a request may ask of a list page: what a script or the dashboard reads in one go
 * (the whole partition table, 256 rows, in one page). */
export const ADMIN_MAX_LIST_PAGE = 1000

/** How long a gathered listing of the cluster (plugins, MCP servers) answers the reads after it
 * ended: a quarter of a second, well under the 1 s bound of a read route's answer, lets a burst of
 * reads share a gather of every member rather than each wait for a round trip of its own (a route
 * forgets it as soon as a change through this node has answered). */
export const ADMIN_LIST_FRESH_MS = 250

/** Reads of one route within a second that make a burst (a dashboard open in many browsers, a
 * script polling in a loop, a load test): only then is an answer made for one read sent again to
 * the next (BurstKept). Below it every read is answered as of its arrival. */
export const ADMIN_BURST_READS = 20

/** How long, in a burst, an answer of the node's own view (the members, their load) is sent again
 * after it was made: a tenth of a second, less than the member record's own load sample (250 ms);
 * a write answered through this node drops it at once. */
export const ADMIN_BURST_REUSE_MS = 100
