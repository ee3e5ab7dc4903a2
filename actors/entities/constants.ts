/**
 * Limits of the entity behaviours for chat commands and post hooks (docs/plugins.md, "Commands and
 * hooks in rooms"), each with its why.
 */

/** A command's name as a plugin declares it and a user types it after the slash: short, lower
 * case, so that `/roll` is never confused with text; a declared name that breaks it is left out. */
export const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/

/** How long a room waits for a command's answer at most, whatever the plugin's call deadline: a
 * room keeps waiting answers in this activation only (a move waits for them), so they end soon. */
export const MAX_COMMAND_DEADLINE_MS = 30_000

/** Commands of one room waiting for their answers at most: past it a command post is refused
 * (RESOURCE_EXHAUSTED) before it is stored, so a flood of commands to a slow plugin cannot grow a
 * room's memory. Answers are posted in command order, so one slow answer holds the ones after it. */
export const MAX_PENDING_COMMANDS = 32

/** Posts of one room waiting for before-post verdicts at most: each waits at most its budget, so
 * this bounds what a burst holds in memory; past it a post is refused (RESOURCE_EXHAUSTED). */
export const MAX_JUDGED_POSTS = 256

/** A plugin's bot answer or a before-post refusal's reason, at most (characters): an answer is a
 * chat post (a node's own text limit is lower, and a longer answer is a failure); a reason is a
 * sentence that goes into a gRPC status. */
export const MAX_REFUSAL_REASON = 512

/** How long a room waits for the post-hooks entity to note it before its first post after an
 * activation: the note is a short write of our own (no plugin is involved); past it the post goes on
 * and the hook entity learns of the room from the post itself (counted, logged). */
export const WATCH_TIMEOUT_MS = 2_000

/** After-post requests of one plugin in flight at once, one room each (a room's posts go one at a
 * time, in seq order): enough to keep a plugin busy, few enough that a slow one is not flooded. */
export const AFTER_POST_ROOMS_IN_FLIGHT = 8

/** A plugin's after-post answer deadline unless its call deadline is shorter: the entity retries a
 * post that got no answer, so a long wait only delays the ones after it. */
export const AFTER_POST_DEADLINE_MS = 10_000

/** Posts of one room the after-post hooks may lag behind its head at most: a plugin down for long
 * then gets the newest posts, not a day of stale ones; the oldest past the bound are skipped,
 * counted (`skipped`) and logged. Far more than a plugin restart leaves behind. */
export const MAX_AFTER_POST_LAG = 10_000

/** Posts a post-hooks entity keeps from the rooms' pushes at most, all rooms together: past it a
 * push is not kept, and the post is read from the room's journal when its turn comes (nothing is
 * lost; the bound is only memory). */
export const MAX_AFTER_POST_BUFFERED = 4_096

/** Posts read from a room's journal at once when a hook entity catches up. */
export const AFTER_POST_PAGE = 100

/** Delivered posts between two durable cursor notes of a room: after a crash at most this many are
 * sent again (at least once); every note is a write. A room that catches up is noted at once. */
export const AFTER_POST_CHECKPOINT_EVERY = 32

/** The first wait before an after-post request that failed is sent again, doubling up to
 * AFTER_POST_RETRY_MAX_MS: a plugin restarting is back within a few of them. */
export const AFTER_POST_RETRY_FIRST_MS = 250
export const AFTER_POST_RETRY_MAX_MS = 30_000

/** How often a post-hooks entity looks at its rooms while it watches any (retries due, rooms idle). */
export const AFTER_POST_TICK_MS = 250

/** A room caught up and quiet this long is no longer watched (one durable note less to keep). */
export const AFTER_POST_UNWATCH_MS = 10_000
