/** The `plexi` commands, one function per group, each returning the group's commander tree. A
 * group that needs heavy modules loads them when it runs (LazyCommand), so that building the whole
 * tree, which every command does, stays cheap. */
export { adminCommands } from './admin-commands.ts'
export { agentCommands } from './agent-commands.ts'
export { backupCommands } from './backup-commands.ts'
export { chatCommands } from './chat-commands.ts'
export { completionCommands } from './completion-commands.ts'
export { LazyCommand, completeCommandTree } from './lazy-command.ts'
export { modelCommands } from './model-commands.ts'
export { nodeCommands } from './node-commands.ts'
export { tlsCommands } from './tls-commands.ts'
