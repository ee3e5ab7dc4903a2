/**
 * What Plexi adds to MCP for its own extensions (docs/plugins.md, "The protocol"): a plugin says in
 * its `initialize` answer, under `capabilities.experimental.plexi`, which chat commands it answers
 * and which hooks it wants; the node then sends it these requests (JSON-RPC, on the same stdio
 * connection as MCP's own). A plain MCP server says nothing of it and offers tools only.
 */

/** The capability a plugin declares (`capabilities.experimental.plexi`). */
export interface PlexiCapability {
  /** The plugin API version the plugin was written for (semver). */
  readonly api: string
  /** `/name` commands it answers in rooms. */
  readonly commands?: ReadonlyArray<{ readonly name: string, readonly description: string }>
  readonly hooks?: {
    /** It wants every committed post (at least once, in seq order per room). */
    readonly afterPost?: boolean
    /** It judges every post before it is accepted, within its budget. */
    readonly beforePost?: boolean
  }
}

/** The node's requests to a plugin. */
export const PLEXI_METHODS = {
  /** A user typed `/<name> args` in a room: the plugin answers with text posted as its bot. */
  command: 'plexi/command',
  /** A post is about to be accepted: allow or refuse it (within the budget). */
  beforePost: 'plexi/before-post',
  /** A post was committed at `seq`: an empty answer acknowledges it. */
  afterPost: 'plexi/after-post'
} as const

export interface CommandParams { readonly room: string, readonly user: string, readonly command: string, readonly args: string }
export interface CommandResult { readonly text: string }
export interface BeforePostParams { readonly room: string, readonly user: string, readonly text: string }
export type BeforePostResult = { readonly verdict: 'allow' } | { readonly verdict: 'refuse', readonly reason: string }
export interface AfterPostParams { readonly room: string, readonly seq: number, readonly user: string, readonly text: string, readonly ts: number }
