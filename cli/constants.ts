/** Limits and timings of the plexi command's clients, each with why it is what it is. */

/** Every admin request gives up after this long: the admin API answers at once or starts a job
 * (followed by polling), so a request this slow means a node that does not answer. */
export const ADMIN_REQUEST_TIMEOUT_MS = 15_000

/** Unary gRPC calls give up after this long: a post is acknowledged once its replicas persisted
 * it, which a healthy cluster does in milliseconds; past this the outcome is unknown and retried. */
export const CALL_TIMEOUT_MS = 15_000

/** Waits before each try again of a post whose outcome is unknown, with the same client id: a
 * few seconds in all, about what a cluster takes to elect a new owner after one is lost. */
export const POST_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 2_000]

/** How often a followed job is asked for: a bar that moves smoothly, a light load on the node. */
export const FOLLOW_INTERVAL_MS = 250

/** Left items printed when a job ends with some (the rest: `plexi admin jobs ID --json`): a
 * screenful, not a flood. */
export const LEFT_SHOWN = 10

/** Reconnect delays of the interactive chat client: doubling from the first to the last, so that a
 * restarting node is found again within a second or two and a down one is not hammered. */
export const RECONNECT_MIN_MS = 250
export const RECONNECT_MAX_MS = 5_000

/** Days a lab certificate is valid when not told. */
export const DEFAULT_CERT_DAYS = 365

/** The longest validity asked for: browsers refuse leaf certificates valid for much more than a
 * year, and a lab pair is cheap to make again. */
export const MAX_CERT_DAYS = 3650

/** An upload (a plugin package, up to 32 MiB) gives up after this long: the node stores every chunk
 * on W replicas and reads it back before it answers. */
export const ADMIN_UPLOAD_TIMEOUT_MS = 120_000

/** Pages of a paged list (actors, partitions) read at most by one command: a million rows at the
 * default 100 a page, far past any cluster's listing, so the loop ends even if a node's links did not. */
export const ADMIN_MAX_PAGES = 10_000
