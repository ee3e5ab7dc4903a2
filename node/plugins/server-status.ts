import type { ActorSystem } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import { MAX_SERVER_ERROR, SERVER_STATUS_ASK_MS } from './constants.ts'
import { PLUGINS_PATH } from './plugins-actor.ts'
import type { PluginsMsg } from './plugins-actor.ts'
import type { ServerFailure } from './server-sync.ts'

/** A member as the status asks it: its peer id, its status as this node sees it, its roles. */
export interface StatusMember {
  readonly peerId: string
  readonly status: string
  readonly roles: readonly string[]
}

/** What a registered server is on one plugins-role member. */
export type ServerNodeStateName =
  /** connected, its tools listed; starting, restarting (after a crash, a hang, a memory overrun), stopping, stopped: as the host says */
  | 'up' | 'starting' | 'restarting' | 'stopping' | 'stopped'
  /** its connection failed, and is tried again at `retryAt` (`error` says why) */
  | 'failed'
  /** the member has not tried it yet (it reads the registry every 2 s) */
  | 'pending'
  /** the member did not answer in time */
  | 'unreachable'

/** One plugins-role member's side of a registered server. */
export interface ServerNodeState {
  readonly node: string
  readonly state: ServerNodeStateName
  /** Its tools there (qualified names), while it is up. */
  readonly tools: readonly string[]
  /** Restarts of its process or connection there. */
  readonly restarts: number
  /** Why it failed, or why it last ended (null: nothing to say). */
  readonly error: string | null
  /** When it came up there (ms since the epoch; null: it is not up). */
  readonly upSince: number | null
  /** When a failed connection is tried again (ms since the epoch; null: not failed). */
  readonly retryAt: number | null
}

export interface ServerStatusOptions {
  readonly system: Pick<ActorSystem, 'actorAt'>
  /** This node and the members it knows. */
  readonly members: () => readonly StatusMember[]
  readonly log?: { debug (obj: object, msg: string): void }
  /** @default SERVER_STATUS_ASK_MS */
  readonly askMs?: number
}

/** What every plugins-role member said of the registered servers, asked once. */
export interface ServerStates {
  /** Each member's side of server `name`, by peer id. */
  nodes (name: string): ServerNodeState[]
  /** The members that did not answer in time (sorted). */
  readonly unreachable: readonly string[]
}

/** What the status reads of a member's row of a server (SourceRow). */
export interface ServerRow {
  readonly name: string
  readonly state: string
  readonly tools: readonly string[]
  readonly restarts: number
  readonly upSince: number
  readonly lastExit: { readonly reason: string, readonly detail: string } | null
}

/** One member's answers (undefined: it did not answer). */
interface MemberAnswer {
  readonly node: string
  readonly rows?: readonly ServerRow[]
  readonly failing?: readonly ServerFailure[]
}

const HOST_STATES: ReadonlySet<string> = new Set(['up', 'starting', 'restarting', 'stopping', 'stopped'])

/**
 * The registered servers' connection state on each plugins-role member, for the admin API: every
 * member that holds the role and is not down is asked, at once, what its `/plugins` actor runs
 * (`running`: the host's rows of its servers) and what it could not connect (`server-failures`:
 * ServerSync's). A member's answers are checked as any input from the wire; one that does not
 * answer within SERVER_STATUS_ASK_MS is named unreachable, never waited on longer.
 */
export class ServerStatus {
  readonly #opts: ServerStatusOptions

  constructor (opts: ServerStatusOptions) {
    this.#opts = opts
  }

  async states (): Promise<ServerStates> {
    const members = this.#opts.members().filter((m) => m.status !== 'down' && m.roles.includes('plugins'))
    const answers = await Promise.all(members.map(async (m): Promise<MemberAnswer> => {
      const [rows, failing] = await Promise.all([
        this.#ask(m.peerId, (replyTo) => ({ type: 'running', replyTo })),
        this.#ask(m.peerId, (replyTo) => ({ type: 'server-failures', replyTo }))
      ])
      const checkedRows = checkServerRows(rows)
      const checkedFailing = checkServerFailures(failing)
      if (checkedRows === undefined || checkedFailing === undefined) return { node: m.peerId }
      return { node: m.peerId, rows: checkedRows, failing: checkedFailing }
    }))
    answers.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
    return {
      nodes: (name) => answers.map((a) => nodeState(name, a)),
      unreachable: answers.filter((a) => a.rows === undefined).map((a) => a.node)
    }
  }

  /** A member's answer, or undefined when it did not answer in time (logged at debug). */
  async #ask (peer: string, build: (replyTo: never) => PluginsMsg): Promise<unknown> {
    try {
      return await this.#opts.system.actorAt<PluginsMsg>({ node: peer, path: PLUGINS_PATH }).ask<unknown>(build as never, { timeout: this.#opts.askMs ?? SERVER_STATUS_ASK_MS })
    } catch (err) {
      this.#opts.log?.debug({ peer, err }, `member ${peer} did not say what MCP servers it runs: ${describe(err)}`)
      return undefined
    }
  }
}

/** What member `a` said of server `name`. */
function nodeState (name: string, a: MemberAnswer): ServerNodeState {
  const none = { node: a.node, tools: [], restarts: 0, error: null, upSince: null, retryAt: null }
  if (a.rows === undefined) return { ...none, state: 'unreachable' }
  const row = a.rows.find((r) => r.name === name)
  if (row !== undefined) {
    const up = row.state === 'up'
    return {
      ...none,
      state: row.state as ServerNodeStateName,
      tools: up ? [...row.tools] : [],
      restarts: row.restarts,
      error: up || row.lastExit === null ? null : `${row.lastExit.reason}: ${row.lastExit.detail}`,
      upSince: up ? row.upSince : null
    }
  }
  const failure = a.failing?.find((f) => f.name === name)
  if (failure !== undefined) return { ...none, state: 'failed', restarts: failure.streak, error: failure.error, retryAt: failure.retryAt }
  return { ...none, state: 'pending' }
}

const isString = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length <= max
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/** A member's `running` answer (SourceRow[]): its server rows, the fields this status reads, or
 * undefined when it is not such a list. */
export function checkServerRows (value: unknown): ServerRow[] | undefined {
  if (!Array.isArray(value) || value.length > 4_096) return undefined
  const rows: ServerRow[] = []
  for (const r of value as unknown[]) {
    if (typeof r !== 'object' || r === null) return undefined
    const row = r as Record<string, unknown>
    if (row.kind !== 'server') continue
    const exit = row.lastExit as Record<string, unknown> | null
    const exitOk = exit === null || (typeof exit === 'object' && isString(exit.reason, 64) && isString(exit.detail, 4_096))
    if (!isString(row.name, 64) || !isString(row.state, 32) || !HOST_STATES.has(row.state) || !Array.isArray(row.tools) || row.tools.length > 4_096 ||
      !(row.tools as unknown[]).every((t) => isString(t, 128)) || !isCount(row.restarts) || !isCount(row.upSince) || !exitOk) return undefined
    rows.push({
      name: row.name,
      state: row.state,
      tools: row.tools as string[],
      restarts: row.restarts,
      upSince: row.upSince,
      lastExit: exit === null ? null : { reason: exit.reason as string, detail: clip(exit.detail as string, MAX_SERVER_ERROR) }
    })
  }
  return rows
}

/** A member's `server-failures` answer, or undefined when it is not such a list. */
export function checkServerFailures (value: unknown): ServerFailure[] | undefined {
  if (!Array.isArray(value) || value.length > 4_096) return undefined
  const out: ServerFailure[] = []
  for (const f of value as unknown[]) {
    if (typeof f !== 'object' || f === null) return undefined
    const x = f as Record<string, unknown>
    if (!isString(x.name, 64) || !isString(x.error, 100_000) || !isCount(x.streak) || !isCount(x.retryAt)) return undefined
    out.push({ name: x.name, error: clip(x.error, MAX_SERVER_ERROR), streak: x.streak, retryAt: x.retryAt })
  }
  return out
}
