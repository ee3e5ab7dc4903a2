import type { Behavior, ReplyTo } from '../../actors/index.ts'
import { DEFAULT_TOOL_DEADLINE_MS, SOURCE_NAME_PATTERN, isSemver, shown } from '../../protocols/index.ts'
import type { ToolResult, ToolSpec } from '../../protocols/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'
import { InvalidPluginRequestError } from './errors.ts'
import type { PluginHooks, PluginHost, RunningSource } from './plugin-host.ts'
import type { ServerFailure, ServerSync } from './server-sync.ts'

/** Where every plugins-role node answers for its plugins and registered servers. */
export const PLUGINS_PATH = systemPath('plugins', 1)

/** A running source as another member sees it (RunningSource less the manifest's entry paths). */
export interface SourceRow {
  readonly kind: 'plugin' | 'server'
  readonly name: string
  readonly version: string
  readonly state: string
  readonly active: boolean
  readonly pid: number | null
  readonly tools: readonly string[]
  readonly restarts: number
  readonly crashes: number
  readonly hangs: number
  readonly memoryKills: number
  readonly rssBytes: number
  readonly memoryMiB: number | null
  readonly offline: boolean
  readonly upSince: number
  readonly lastExit: { readonly reason: string, readonly detail: string, readonly at: number } | null
  /** A plugin's permissions as its manifest asks (null for a server). */
  readonly permissions: Readonly<Record<string, unknown>> | null
}

/** The `/plugins` actor's messages (another member's asks; every field checked on arrival). */
export type PluginsMsg =
  /** The tools of this node's sources that are up. */
  | { readonly type: 'tools', readonly replyTo: ReplyTo<ToolSpec[]> }
  /** Calls a tool here; answered with its result, or failed with the host's error. */
  | { readonly type: 'call', readonly call: unknown, readonly deadlineMs: number, readonly replyTo: ReplyTo<ToolResult> }
  /** Sends plugin `plugin` a Plexi request (PLEXI_METHODS); answered with its checked answer. */
  | { readonly type: 'request', readonly plugin: string, readonly method: string, readonly params: unknown, readonly deadlineMs: number, readonly replyTo: ReplyTo<unknown> }
  /** The plugins here that declared chat commands or hooks, with their before-post settings. */
  | { readonly type: 'capabilities', readonly replyTo: ReplyTo<PluginHooks[]> }
  /** What runs here, for the admin API's status per node. */
  | { readonly type: 'running', readonly replyTo: ReplyTo<SourceRow[]> }
  /** The registered servers this member could not connect to, and why (none without a ServerSync). */
  | { readonly type: 'server-failures', readonly replyTo: ReplyTo<ServerFailure[]> }
  /** The newest lines of a plugin's or server's stderr here. */
  | { readonly type: 'logs', readonly name: string, readonly version?: string, readonly replyTo: ReplyTo<string[]> }

const NAME = new RegExp(SOURCE_NAME_PATTERN)

/**
 * `/plugins`: answers other members' (and this node's) asks for this node's plugins and servers
 * (`servers`: the connections to the registered servers, whose failures it reports).
 * A call or a request runs without holding the mailbox (it is answered when it ends), so a slow
 * plugin never delays the next ask; every message is checked as input from the wire first
 * (InvalidPluginRequestError), and what the host refuses is the ask's failure.
 */
export function pluginsActor (host: PluginHost, servers?: Pick<ServerSync, 'failing'>): Behavior<PluginsMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      const answer = <R>(replyTo: ReplyTo<R>, work: Promise<R>): void => {
        work.then((value) => { ctx.reply(replyTo, value) }, (err: unknown) => { ctx.fail(replyTo, err) })
      }
      switch (msg.type) {
        case 'tools':
          ctx.reply(msg.replyTo, host.tools())
          return undefined
        case 'call':
          answer(msg.replyTo, host.call(msg.call, { deadlineMs: deadline(msg.deadlineMs) }))
          return undefined
        case 'request':
          if (typeof msg.plugin !== 'string' || !NAME.test(msg.plugin)) throw new InvalidPluginRequestError(`plugin: expected a name matching ${SOURCE_NAME_PATTERN}`)
          answer(msg.replyTo, host.request(msg.plugin, msg.method, msg.params, deadline(msg.deadlineMs)))
          return undefined
        case 'running':
          ctx.reply(msg.replyTo, [...host.running(), ...host.servers()].map(sourceRow))
          return undefined
        case 'server-failures':
          ctx.reply(msg.replyTo, servers?.failing() ?? [])
          return undefined
        case 'capabilities':
          // plain data for the wire: no undefined anywhere
          ctx.reply(msg.replyTo, JSON.parse(JSON.stringify(host.capabilities())) as PluginHooks[])
          return undefined
        case 'logs':
          if (typeof msg.name !== 'string' || !NAME.test(msg.name)) throw new InvalidPluginRequestError(`name: expected a name matching ${SOURCE_NAME_PATTERN}`)
          if (msg.version !== undefined && !isSemver(msg.version)) throw new InvalidPluginRequestError('version: expected a semantic version')
          ctx.reply(msg.replyTo, host.logs(msg.name, msg.version))
          return undefined
        default:
          throw new InvalidPluginRequestError(`unknown plugins request ${shown((msg as { type?: unknown }).type, 64)}`)
      }
    }
  }
}

function deadline (value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > DEFAULT_TOOL_DEADLINE_MS) throw new InvalidPluginRequestError(`deadlineMs: expected an integer from 1 to ${DEFAULT_TOOL_DEADLINE_MS}`)
  return value as number
}

/** A running source as plain data for the wire (no undefined anywhere). */
export function sourceRow (r: RunningSource): SourceRow {
  return {
    kind: r.kind,
    name: r.name,
    version: r.version,
    state: r.state,
    active: r.active,
    pid: r.pid ?? null,
    tools: [...r.tools],
    restarts: r.restarts,
    crashes: r.crashes,
    hangs: r.hangs,
    memoryKills: r.memoryKills,
    rssBytes: r.rssBytes,
    memoryMiB: r.memoryMiB ?? null,
    offline: r.offline,
    upSince: r.upSince,
    lastExit: r.lastExit === undefined ? null : { ...r.lastExit },
    permissions: r.manifest === undefined ? null : JSON.parse(JSON.stringify(r.manifest.permissions)) as Record<string, unknown>
  }
}
