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

/** How long a user's tool policy, once read, answers `allowed` (a list of tools asks it once per
 * tool): a grant, revoke or switch made through another node applies here within this; one made
 * through this node, at once. */
export const POLICY_CACHE_MS = 1_000

/** How long `allowed` waits for a user's policy: a policy that cannot be read allows nothing (no
 * tool is called on a grant nobody could check), and the agent answers without tools. */
export const POLICY_ASK_MS = 2_000

/** Most users whose policy is kept; the oldest go first (a few hundred bytes each). */
export const POLICY_CACHE_MAX = 10_000
