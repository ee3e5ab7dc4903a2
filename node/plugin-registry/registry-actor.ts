import { MAX_REPORT_ERROR, PLUGIN_NAME_PATTERN, isReplyTo } from '../../actors/index.ts'
import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { clip } from '../../protocols/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import type { PluginCallStats } from './call-stats.ts'
import { MAX_LOG_LINE, MAX_LOGS_PAGE } from './constants.ts'
import type { HostedState, PluginHostPort } from './host-port.ts'
import type { StartFailure } from './plugin-reconciler.ts'

/** Where every node answers for its plugins: what runs there, their logs, and news of the catalog. */
export const PLUGIN_REGISTRY_PATH = systemPath('plugin-registry', 1)

/** One version running on a member, as its `status` answers: what the host says of it, with the
 * plugin's calls on that member. */
export interface PluginRunRow {
  readonly name: string
  readonly version: string
  readonly state: HostedState
  readonly restarts: number
  /** The plugin's calls there (every version of it), those that failed, their recent mean latency. */
  readonly calls: number
  readonly errors: number
  readonly latencyMs: number | null
  /** Its process's resident memory (null: not known). */
  readonly memoryBytes: number | null
  /** How its last process ended (null: none did). */
  readonly lastError: string | null
}

/** What a member runs of the cluster's plugins, as it answers `status`. */
export interface MemberPluginStatus {
  readonly node: string
  /** It runs plugins (it has a plugin host). */
  readonly runs: boolean
  readonly plugins: readonly PluginRunRow[]
  readonly failures: readonly StartFailure[]
}

/** One line a plugin wrote on its stderr, and the version that wrote it. */
export interface PluginLogLine {
  readonly version: string
  readonly line: string
}

export type RegistryActorMsg =
  /** The catalog changed: compare what runs here with it now (a tell, never answered). */
  | { readonly type: 'changed' }
  | { readonly type: 'status', readonly replyTo: ReplyTo<MemberPluginStatus> }
  /** The last `limit` lines a plugin's running versions wrote on their stderr here, oldest
   * version first. */
  | { readonly type: 'logs', readonly name: string, readonly limit: number, readonly replyTo: ReplyTo<PluginLogLine[]> }

/** What the actor reaches of this node's plugins (absent: it runs none). */
export interface LocalPlugins {
  readonly reconciler: { changed (): void, failures (): StartFailure[] }
  readonly host: Pick<PluginHostPort, 'running' | 'logs'>
  /** The plugins' calls here, as the host counts them (absent: shown as none). */
  readonly calls?: Pick<PluginCallStats, 'of'> | undefined
}

/** The actor's messages as another node sends them: refused (InvalidPeerRequestError) otherwise. */
export function checkRegistryActorMsg (value: unknown): RegistryActorMsg {
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object') throw new InvalidPeerRequestError('plugin registry: expected a message with a type')
  if (m.type === 'changed') return { type: 'changed' }
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('plugin registry: expected { type: "changed" | "status" | "logs", replyTo }')
  if (m.type === 'status') return m as unknown as RegistryActorMsg
  if (m.type === 'logs') {
    if (typeof m.name !== 'string' || !PLUGIN_NAME_PATTERN.test(m.name)) throw new InvalidPeerRequestError('plugin registry logs: name: expected a plugin name')
    if (typeof m.limit !== 'number' || !Number.isInteger(m.limit) || m.limit < 1 || m.limit > MAX_LOGS_PAGE) throw new InvalidPeerRequestError(`plugin registry logs: limit: expected an integer from 1 to ${MAX_LOGS_PAGE}`)
    return m as unknown as RegistryActorMsg
  }
  throw new InvalidPeerRequestError('plugin registry: expected { type: "changed" | "status" | "logs", replyTo }')
}

/**
 * `/plugin-registry`: on every node, whether it runs plugins or not. It tells the local reconciler
 * of a change of the catalog (the node that made the change tells every member), and answers what
 * runs here and the plugins' stderr lines kept here, so that `ls` and `logs` show every member.
 */
export function registryActor (node: string, local: LocalPlugins | undefined): Behavior<RegistryActorMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, sent, ctx) {
      let msg: RegistryActorMsg
      try {
        msg = checkRegistryActorMsg(sent)
      } catch (err) {
        const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
        if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
        return undefined
      }
      switch (msg.type) {
        case 'changed':
          local?.reconciler.changed()
          break
        case 'status':
          ctx.reply(msg.replyTo, { node, runs: local !== undefined, plugins: local === undefined ? [] : rows(local), failures: local?.reconciler.failures() ?? [] })
          break
        case 'logs':
          ctx.reply(msg.replyTo, local === undefined ? [] : logLines(local.host, msg.name, msg.limit))
          break
      }
      return undefined
    }
  }
}

export function spawnRegistryActor (system: ActorSystem, local: LocalPlugins | undefined): void {
  system.spawn(registryActor(system.node, local), { name: PLUGIN_REGISTRY_PATH.slice(1), kind: 'plugin-registry', mailbox: 4_096 })
}

/** The versions running here as rows, each with its plugin's calls; a host's own text clipped. */
function rows (local: LocalPlugins): PluginRunRow[] {
  return local.host.running().map((r) => {
    const calls = local.calls?.of(r.name) ?? { calls: 0, errors: 0, latencyMs: null }
    return {
      name: r.name,
      version: r.version,
      state: r.state,
      restarts: r.restarts,
      ...calls,
      memoryBytes: r.rssBytes > 0 ? r.rssBytes : null,
      lastError: r.lastExit === undefined ? null : clip(`${r.lastExit.reason}: ${r.lastExit.detail}`, MAX_REPORT_ERROR)
    }
  })
}

/** The last `limit` stderr lines of a plugin's running versions here (a version the host no longer
 * runs by the time it is asked has none). */
function logLines (host: Pick<PluginHostPort, 'running' | 'logs'>, name: string, limit: number): PluginLogLine[] {
  const lines: PluginLogLine[] = []
  for (const r of host.running().filter((v) => v.name === name)) {
    let kept: readonly string[]
    try {
      kept = host.logs(name, r.version)
    } catch {
      kept = []
    }
    for (const line of kept) lines.push({ version: r.version, line: clip(line, MAX_LOG_LINE) })
  }
  return lines.slice(Math.max(0, lines.length - limit))
}
