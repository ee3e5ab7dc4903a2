/** The `plexi` commands, one function per group, each returning the group's commander tree; the
 * groups are loaded by commandGroups (a running node loads only its own). A group that needs heavy
 * modules loads them when it runs (LazyCommand), so that building the whole tree, which every
 * other command does, stays cheap. */
export { commandGroups } from './command-groups.ts'
export { LazyCommand, completeCommandTree } from './lazy-command.ts'
