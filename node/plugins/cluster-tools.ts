import { DEFAULT_TOOL_DEADLINE_MS, InvalidToolCallError, ToolDeniedError } from '../../protocols/index.ts'
import type { ToolCall, ToolProvider, ToolResult, ToolSpec } from '../../protocols/index.ts'
import { REMOTE_CALL_SLACK_MS, REMOTE_TOOLS_TIMEOUT_MS, TOOLS_CACHE_MS } from './constants.ts'
import { PluginNotFoundError } from './errors.ts'
import type { PluginHost } from './plugin-host.ts'
import type { PluginsMsg } from './plugins-actor.ts'
import { onFirstRunner, runnersOf } from './plugin-runners.ts'
import type { ToolMember } from './plugin-runners.ts'
import { checkRemoteResult, checkRemoteTools } from './remote-answers.ts'
import { checkToolCall } from './tool-call-check.ts'

/** Whether `user` may call `tool` (the agents workstream's policy: an admin's grant, less what the
 * user turned off). */
export type ToolPolicy = (user: string, tool: ToolSpec) => Promise<boolean>

export interface ClusterToolsOptions {
  /** This node's peer id. */
  readonly self: string
  /** This node's host, where it runs one (a plugins-role node). */
  readonly host: () => PluginHost | undefined
  /** The cluster's members (this node's own record aside or not: it is skipped). */
  readonly members: () => readonly ToolMember[]
  /** Asks a member's `/plugins` actor. */
  readonly ask: <R>(peer: string, build: (replyTo: never) => PluginsMsg, timeoutMs: number, signal?: AbortSignal) => Promise<R>
  /** @default nothing is allowed (an agent calls no tool until it is granted one) */
  readonly allowed?: ToolPolicy
  readonly log: { debug (obj: object, msg: string): void }
}

/** A member's tools as last asked, and what its record said of its sources then. */
interface Cached { readonly signature: string, readonly at: number, readonly tools: readonly ToolSpec[] }

/**
 * The node's ToolProvider: the tools of every plugin and registered server in the cluster, called
 * here when this node runs the source, else on a member whose record says it runs it (its
 * `/plugins` actor), the newest version first. What a user may call is `allowed`'s to say; with
 * none given, nothing is (a deny-all default: a tool runs code with the plugin's permissions and a
 * model chooses the call). A source down, slow or gone makes an error result the model can read,
 * never a thrown error: only a call that is not the user's (ToolDeniedError) or malformed
 * (InvalidToolCallError) throws. Members' tool lists are cached for TOOLS_CACHE_MS, and asked
 * again at once when their record names other sources.
 */
export class ClusterTools implements ToolProvider {
  readonly #opts: ClusterToolsOptions
  readonly #cache = new Map<string, Cached>()

  constructor (opts: ClusterToolsOptions) {
    this.#opts = opts
  }

  /** Every tool in the cluster, whoever may call it (for grants and listings): one entry per
   * qualified name, from this node when it runs the source, else from a member running its newest
   * version. */
  async all (): Promise<ToolSpec[]> {
    const local = this.#opts.host()?.tools() ?? []
    const byName = new Map(local.map((t) => [t.name, t]))
    const localSources = new Set(local.map((t) => t.source.name))
    const members = runnersOf(this.#opts.members(), this.#opts.self)
    const lists = await Promise.all(members.map(async (m) => await this.#toolsOf(m)))
    for (const tools of lists) for (const t of tools) if (!localSources.has(t.source.name) && !byName.has(t.name)) byName.set(t.name, t)
    // members that run nothing now (or left) are forgotten
    const listed = new Set(members.map((m) => m.peerId))
    for (const peer of this.#cache.keys()) if (!listed.has(peer)) this.#cache.delete(peer)
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  async tools (user: string): Promise<readonly ToolSpec[]> {
    const allowed = this.#opts.allowed
    if (allowed === undefined) return []
    const out: ToolSpec[] = []
    for (const t of await this.all()) if (await allowed(user, t)) out.push(t)
    return out
  }

  async call (user: string, value: ToolCall, opts: { readonly signal?: AbortSignal, readonly deadlineMs?: number } = {}): Promise<ToolResult> {
    const call = checkToolCall(value)
    const spec = (await this.all()).find((t) => t.name === call.name)
    if (spec === undefined) throw new InvalidToolCallError(`no tool ${call.name} in the cluster`)
    if (this.#opts.allowed === undefined || !(await this.#opts.allowed(user, spec))) throw new ToolDeniedError(user, call.name)
    const deadlineMs = Math.max(1, Math.min(opts.deadlineMs ?? DEFAULT_TOOL_DEADLINE_MS, DEFAULT_TOOL_DEADLINE_MS))
    const toolCall: ToolCall = { id: call.id, name: call.name, arguments: call.arguments }
    try {
      return await this.#route(call.source, toolCall, deadlineMs, opts.signal)
    } catch (err) {
      if (err instanceof InvalidToolCallError || err instanceof ToolDeniedError) throw err
      if (opts.signal?.aborted === true) throw err
      return { callId: call.id, isError: true, text: err instanceof Error ? err.message : String(err) }
    }
  }

  /** Calls on this node when it runs the source, else on the members that run it (onFirstRunner:
   * never on a second member once one may have run it). */
  async #route (source: string, call: ToolCall, deadlineMs: number, signal: AbortSignal | undefined): Promise<ToolResult> {
    const host = this.#opts.host()
    if (host !== undefined && host.tools().some((t) => t.source.name === source)) return await host.call(call, { deadlineMs, ...(signal !== undefined && { signal }) })
    const runners = runnersOf(this.#opts.members(), this.#opts.self, source)
    if (runners.length === 0) throw new PluginNotFoundError(`no member runs ${source} now`)
    return await onFirstRunner(runners, async (peer) => checkRemoteResult(call.id, await this.#opts.ask<unknown>(peer, (replyTo) => ({ type: 'call', call, deadlineMs, replyTo }), deadlineMs + REMOTE_CALL_SLACK_MS, signal)))
  }

  /** A member's tools: cached while its record names the same sources and for TOOLS_CACHE_MS;
   * a member that does not answer gives what it gave last (or none). */
  async #toolsOf (member: ToolMember): Promise<readonly ToolSpec[]> {
    const signature = JSON.stringify([member.plugins ?? [], member.servers ?? []])
    const cached = this.#cache.get(member.peerId)
    if (cached !== undefined && cached.signature === signature && Date.now() - cached.at < TOOLS_CACHE_MS) return cached.tools
    try {
      const answer = await this.#opts.ask<unknown>(member.peerId, (replyTo) => ({ type: 'tools', replyTo }), REMOTE_TOOLS_TIMEOUT_MS)
      const tools = checkRemoteTools(answer)
      this.#cache.set(member.peerId, { signature, at: Date.now(), tools })
      return tools
    } catch (err) {
      this.#opts.log.debug({ peer: member.peerId, err }, `the tools of ${member.peerId} could not be read: ${(err as Error).message}`)
      return cached?.tools ?? []
    }
  }
}
