import { MAX_REPORT_ERROR, PLUGIN_NAME_PATTERN, isReplyTo } from '../../actors/index.ts'
import { clip } from '../../protocols/index.ts'
import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { MAX_LOGS_PAGE } from './constants.ts'
import type { HostedStatus } from './host-port.ts'
import type { PluginLogLine, PluginLogs } from './plugin-logs.ts'
import type { StartFailure } from './plugin-reconciler.ts'

/** Where every node answers for its plugins: what runs there, their logs, and news of the catalog. */
export const PLUGIN_REGISTRY_PATH = systemPath('plugin-registry', 1)

/** What a member runs of the cluster's plugins, as it answers `status`. */
export interface MemberPluginStatus {
  readonly node: string
  /** It runs plugins (it holds the plugins role and has a plugin host). */
  readonly runs: boolean
  readonly plugins: readonly HostedStatus[]
  readonly failures: readonly StartFailure[]
}

export type RegistryActorMsg =
  /** The catalog changed: compare what runs here with it now (a tell, never answered). */
  | { readonly type: 'changed' }
  | { readonly type: 'status', readonly replyTo: ReplyTo<MemberPluginStatus> }
  /** The last `limit` lines a plugin wrote on its stderr here, oldest first. */
  | { readonly type: 'logs', readonly name: string, readonly limit: number, readonly replyTo: ReplyTo<PluginLogLine[]> }

/** What the actor reaches of this node's plugins (absent: it runs none). */
export interface LocalPlugins {
  readonly reconciler: { changed (): void, status (): { plugins: readonly HostedStatus[], failures: StartFailure[] } }
  readonly logs: Pick<PluginLogs, 'tail'>
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
        case 'status': {
          const status = local?.reconciler.status()
          // what the host says of a failure is its own text: clipped, as a member's report is
          const plugins = (status?.plugins ?? []).map((p) => ({ ...p, lastError: p.lastError === null ? null : clip(p.lastError, MAX_REPORT_ERROR) }))
          ctx.reply(msg.replyTo, { node, runs: local !== undefined, plugins, failures: status?.failures ?? [] })
          break
        }
        case 'logs':
          ctx.reply(msg.replyTo, local?.logs.tail(msg.name, msg.limit) ?? [])
          break
      }
      return undefined
    }
  }
}

export function spawnRegistryActor (system: ActorSystem, local: LocalPlugins | undefined): void {
  system.spawn(registryActor(system.node, local), { name: PLUGIN_REGISTRY_PATH.slice(1), kind: 'plugin-registry', mailbox: 4_096 })
}
