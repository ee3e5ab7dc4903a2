import { DEFAULT_TOOL_DEADLINE_MS, MAX_BEFORE_POST_BUDGET_MS, SOURCE_NAME_PATTERN, isSemver } from '../../protocols/index.ts'
import { REMOTE_CALL_SLACK_MS, REMOTE_TOOLS_TIMEOUT_MS, TOOLS_CACHE_MS } from './constants.ts'
import { InvalidPluginRequestError, PluginNotFoundError } from './errors.ts'
import type { PluginHooks, PluginHost } from './plugin-host.ts'
import { checkPlexiAnswer, checkPlexiMethod } from './plexi-answer.ts'
import { checkPlexiCapability } from './plexi-capability.ts'
import { onFirstRunner, runnersOf } from './plugin-runners.ts'
import type { ToolMember } from './plugin-runners.ts'
import type { PluginsMsg } from './plugins-actor.ts'

export interface ClusterPluginsOptions {
  /** This node's peer id. */
  readonly self: string
  /** This node's host, where it runs one (a plugins-role node). */
  readonly host: () => PluginHost | undefined
  readonly members: () => readonly ToolMember[]
  /** Asks a member's `/plugins` actor. */
  readonly ask: <R>(peer: string, build: (replyTo: never) => PluginsMsg, timeoutMs: number, signal?: AbortSignal) => Promise<R>
  readonly log: { debug (obj: object, msg: string): void }
}

const NAME = new RegExp(SOURCE_NAME_PATTERN)

/**
 * The cluster's plugins for the rooms (chat commands and hooks): which plugins declared a Plexi
 * capability, wherever they run (this node's first, then the members' that run them, newest
 * version first; members' listings cached for TOOLS_CACHE_MS, asked again when their record names
 * other sources), and Plexi requests sent to a plugin here or on a member that runs it, with the
 * caller's deadline. A request's failure is thrown (PluginUnavailableError, PluginTimeoutError,
 * PluginProtocolError, PluginFailedError, PluginNotFoundError): a hook's policy is the caller's.
 */
export class ClusterPlugins {
  readonly #opts: ClusterPluginsOptions
  readonly #cache = new Map<string, { signature: string, at: number, hooks: PluginHooks[] }>()

  constructor (opts: ClusterPluginsOptions) {
    this.#opts = opts
  }

  /** One entry per plugin that declared a capability: this node's version when it runs one. */
  async capabilities (): Promise<PluginHooks[]> {
    const byPlugin = new Map((this.#opts.host()?.capabilities() ?? []).map((h) => [h.plugin, h]))
    const members = runnersOf(this.#opts.members(), this.#opts.self)
    for (const hooks of await Promise.all(members.map(async (m) => await this.#hooksOf(m)))) {
      for (const h of hooks) if (!byPlugin.has(h.plugin)) byPlugin.set(h.plugin, h)
    }
    const listed = new Set(members.map((m) => m.peerId))
    for (const peer of this.#cache.keys()) if (!listed.has(peer)) this.#cache.delete(peer)
    return [...byPlugin.values()].sort((a, b) => (a.plugin < b.plugin ? -1 : 1))
  }

  /** Sends plugin `plugin` a Plexi request (PLEXI_METHODS): here when this node runs it, else on a
   * member that does; its answer checked. */
  async request (plugin: string, method: string, params: unknown, deadlineMs: number, signal?: AbortSignal): Promise<unknown> {
    if (typeof plugin !== 'string' || !NAME.test(plugin)) throw new InvalidPluginRequestError(`plugin: expected a name matching ${SOURCE_NAME_PATTERN}`)
    const m = checkPlexiMethod(method)
    const host = this.#opts.host()
    if (host !== undefined && host.running().some((r) => r.name === plugin && r.state === 'up')) return await host.request(plugin, m, params, deadlineMs, signal)
    const runners = runnersOf(this.#opts.members(), this.#opts.self, plugin).filter((r) => r.plugins?.some((p) => p.name === plugin) === true)
    if (runners.length === 0) throw new PluginNotFoundError(`no member runs plugin ${plugin} now`)
    return await onFirstRunner(runners, async (peer) => {
      const answer = await this.#opts.ask<unknown>(peer, (replyTo) => ({ type: 'request', plugin, method: m, params, deadlineMs, replyTo }), deadlineMs + REMOTE_CALL_SLACK_MS, signal)
      return checkPlexiAnswer(plugin, m, answer)
    })
  }

  async #hooksOf (member: ToolMember): Promise<PluginHooks[]> {
    const signature = JSON.stringify(member.plugins ?? [])
    const cached = this.#cache.get(member.peerId)
    if (cached !== undefined && cached.signature === signature && Date.now() - cached.at < TOOLS_CACHE_MS) return cached.hooks
    try {
      const hooks = checkRemoteHooks(await this.#opts.ask<unknown>(member.peerId, (replyTo) => ({ type: 'capabilities', replyTo }), REMOTE_TOOLS_TIMEOUT_MS))
      this.#cache.set(member.peerId, { signature, at: Date.now(), hooks })
      return hooks
    } catch (err) {
      this.#opts.log.debug({ peer: member.peerId, err }, `the plugins of ${member.peerId} could not be read: ${(err as Error).message}`)
      return cached?.hooks ?? []
    }
  }
}

/** A member's capabilities listing, checked like any input from the wire (malformed entries are
 * dropped). */
export function checkRemoteHooks (value: unknown): PluginHooks[] {
  if (!Array.isArray(value)) throw new InvalidPluginRequestError('a member answered a capabilities listing with something that is not a list')
  const out: PluginHooks[] = []
  for (const raw of value.slice(0, 256)) {
    const h = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
    if (typeof h.plugin !== 'string' || !NAME.test(h.plugin) || !isSemver(h.version)) continue
    let capability
    try {
      capability = checkPlexiCapability(h.plugin, h.capability)
    } catch {
      continue
    }
    if (capability === undefined) continue
    const b = h.beforePost as Record<string, unknown> | undefined
    const beforePost = typeof b === 'object' && b !== null
      ? { ...(Number.isInteger(b.budgetMs) && (b.budgetMs as number) >= 1 && (b.budgetMs as number) <= MAX_BEFORE_POST_BUDGET_MS && { budgetMs: b.budgetMs as number }), ...((b.onFailure === 'allow' || b.onFailure === 'refuse') && { onFailure: b.onFailure as 'allow' | 'refuse' }) }
      : undefined
    const deadline = h.callDeadlineMs
    const callDeadlineMs = Number.isInteger(deadline) && (deadline as number) >= 1 && (deadline as number) <= DEFAULT_TOOL_DEADLINE_MS ? deadline as number : undefined
    out.push({ plugin: h.plugin, version: h.version as string, capability, ...(beforePost !== undefined && { beforePost }), ...(callDeadlineMs !== undefined && { callDeadlineMs }) })
  }
  return out
}
