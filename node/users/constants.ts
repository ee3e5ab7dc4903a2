/** Limits and timings of users and their tokens on a node, each with why it is what it is. */

/** How often a node asks the directory what changed: a user removed on another node stops
 * authenticating here within this (and one ask). */
export const DIRECTORY_REFRESH_MS = 1_000

/** How long one ask for changes waits: a directory moving to another node answers well within it,
 * and a refresh that gives up is tried again DIRECTORY_REFRESH_MS later. */
export const CHANGES_ASK_MS = 5_000

/** How long an authentication result is reused (revocation on this node is immediate; the TTL
 * bounds staleness once other nodes revoke). */
export const AUTH_CACHE_MS = 2_000

/** How long a node asks the directory about a token its own copy does not know: short, since the
 * caller is told to retry when it cannot say (a valid token must never read as revoked). */
export const DIRECTORY_ASK_MS = 2_000

/** Most cached authentication results; the oldest go first (a few MiB at most). */
export const AUTH_CACHE_MAX = 10_000

/** Tokens longer than this are refused before hashing (a client cannot make us hash megabytes);
 * ours are 5 + 43 characters. */
export const MAX_TOKEN_LENGTH = 256
