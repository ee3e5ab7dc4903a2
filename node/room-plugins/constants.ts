/** Limits of node/room-plugins (docs/plugins.md, "Commands and hooks in rooms"), each with its why. */

/** Commands one plugin may declare for rooms; past it the rest are left out (with a log line): a
 * room looks a command up on every post that starts with a slash, and a help list stays readable. */
export const MAX_COMMANDS_PER_PLUGIN = 32

/** A command's description, at most (characters): one line of a help list. */
export const MAX_COMMAND_DESCRIPTION = 200

/** How often each node tells every after-post plugin's post-hooks entity to go on: after a restart
 * it is what activates the entity again, so that posts noted before the crash are sent without
 * waiting for a new post in their room. One small message per plugin per node per period. */
export const POST_HOOKS_RESUME_MS = 5_000
