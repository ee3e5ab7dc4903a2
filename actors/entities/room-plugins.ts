import type { AfterPostParams, BeforePostParams, BeforePostResult, CommandParams, CommandResult } from '../../protocols/plugins/index.ts'

/** A `/name` command a plugin declared for rooms, and who answers it. */
export interface RoomCommand {
  /** Without the slash (COMMAND_NAME_PATTERN). */
  readonly name: string
  /** The plugin that answers it, as its bot (botUserName). */
  readonly plugin: string
  readonly description: string
  /** How long the room waits for the answer (the plugin's call deadline, at most MAX_COMMAND_DEADLINE_MS). */
  readonly deadlineMs: number
}

/** A plugin that judges every post before the room accepts it. */
export interface BeforePostHook {
  readonly plugin: string
  /** What a post waits for it at most (the manifest's beforePost.budgetMs, at most MAX_BEFORE_POST_BUDGET_MS). */
  readonly budgetMs: number
  /** What a post gets when the hook does not answer in its budget, crashed, or answered nonsense. */
  readonly onFailure: 'allow' | 'refuse'
}

/** What the plugins of the cluster offer rooms now. */
export interface RoomPluginView {
  /** By command name; one plugin per name. */
  readonly commands: ReadonlyMap<string, RoomCommand>
  /** In plugin-name order. */
  readonly beforePost: readonly BeforePostHook[]
  /** The plugins that want every committed post, in plugin-name order. */
  readonly afterPost: readonly string[]
}

/** Plexi's requests to plugins (protocols/plugins/plexi-extension.ts), their params and answers. */
export interface PlexiRequests {
  readonly 'plexi/command': { readonly params: CommandParams, readonly result: CommandResult }
  readonly 'plexi/before-post': { readonly params: BeforePostParams, readonly result: BeforePostResult }
  readonly 'plexi/after-post': { readonly params: AfterPostParams, readonly result: Readonly<Record<string, never>> }
}
export type PlexiMethod = keyof PlexiRequests

/** What happened to one request of a room to a plugin: the node counts it (metrics). */
export type RoomPluginOutcome =
  | { readonly hook: 'command', readonly plugin: string, readonly outcome: 'answered' | 'failed' | 'timeout' }
  /** `failed`: no verdict in the budget (timeout, crash, nonsense); `policy` then decided. */
  | { readonly hook: 'before-post', readonly plugin: string, readonly outcome: 'allowed' | 'refused' | 'failed', readonly policy?: 'allow' | 'refuse' }
  /** `skipped`: posts past the backlog's bound, never sent (`posts` of them). */
  | { readonly hook: 'after-post', readonly plugin: string, readonly outcome: 'delivered' | 'failed' | 'skipped', readonly posts: number }

/**
 * What rooms need of the node's plugins: handed to the room and post-hooks entities as a
 * component (actors/ reaches the outside only through components). The node's implementation
 * (node/room-plugins) reaches each plugin wherever it runs in the cluster.
 */
export interface RoomPlugins {
  /** The commands and hooks of the plugins that run now; read on every post, so it must be cheap. */
  view (): RoomPluginView
  /**
   * Sends one plexi/* request to `plugin` and resolves with its answer, checked against the
   * protocol. Rejects when the plugin does not answer within `deadlineMs` (kind timeout), is not
   * running anywhere or crashed (unavailable), or answered something the protocol does not allow.
   */
  request<K extends PlexiMethod> (plugin: string, method: K, params: PlexiRequests[K]['params'], deadlineMs: number): Promise<PlexiRequests[K]['result']>
  /** Counts what happened (metrics); never throws. */
  record (outcome: RoomPluginOutcome): void
}

const EMPTY_VIEW: RoomPluginView = { commands: new Map(), beforePost: [], afterPost: [] }

/** A node with no plugins: rooms behave as they did before plugins existed. */
export const NO_ROOM_PLUGINS: RoomPlugins = {
  view: () => EMPTY_VIEW,
  request: async (plugin) => { throw new Error(`no plugin ${JSON.stringify(plugin)} runs on this node`) },
  record: () => undefined
}

/**
 * How a plugin's bot is named in rooms: `<plugin>[bot]` (GitHub's rule for apps). Brackets are not
 * in USER_NAME_PATTERN, so no user can be added with a bot's name (the user directory and the
 * admin API check every new name against it), and no client can post as one (a post's user is a
 * user name: checkRoomMsg).
 */
export function botUserName (plugin: string): string {
  return `${plugin}[bot]`
}
