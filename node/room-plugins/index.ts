/**
 * Rooms and plugins (docs/plugins.md, "Commands and hooks in rooms"): the node's RoomPlugins, which
 * the room and post-hooks entities are handed, over the plugin host (RoomPluginSource); its
 * metrics; the service that resumes after-post delivery after a restart.
 */
export { MeshRoomPlugins } from './mesh-room-plugins.ts'
export type { MeshRoomPluginsOptions } from './mesh-room-plugins.ts'
export type { RoomPluginSource } from './mesh-room-plugins.ts'
export { buildRoomPluginView } from './room-plugin-view.ts'
export type { RoomPluginInfo, ViewLog } from './room-plugin-view.ts'
export { checkPlexiAnswer } from './plexi-answers.ts'
export { roomPluginMetrics } from './room-plugin-metrics.ts'
export type { RoomPluginMetrics } from './room-plugin-metrics.ts'
export { PostHooksResume } from './post-hooks-resume.ts'
export type { PostHooksResumeOptions } from './post-hooks-resume.ts'
export { MAX_COMMANDS_PER_PLUGIN, MAX_COMMAND_DESCRIPTION, POST_HOOKS_RESUME_MS } from './constants.ts'
export * from './errors.ts'
