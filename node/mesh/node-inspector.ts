import type { ActorSystem, Behavior, Journal, ReplyTo } from '../../actors/index.ts'
import { adminSchemas, shown } from '../../protocols/index.ts'
import type { Job } from '../../protocols/index.ts'
import { InvalidPeerRequestError } from './errors.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** A live actor or active entity of one node, as the admin API lists it. */
export interface ActorRow {
  readonly kind: string
  readonly path: string
  readonly key: string | null
  readonly status: string
  readonly mailbox: number
  readonly node: string
}

/** One entity as its owner reports it. */
export interface EntityRow {
  readonly type: string
  readonly key: string
  readonly node: string
  readonly active: boolean
  readonly status: string | null
  readonly mailbox: number
  readonly seq: number
  readonly role: string
}

export type InspectorMsg =
  /** `entities`: the entities alone (no system actor: a key of null); a node before it answers every actor. */
  | { readonly type: 'actors', readonly kind?: string, readonly entities?: boolean, readonly replyTo: ReplyTo<ActorRow[]> }
  | { readonly type: 'entity', readonly entityType: string, readonly key: string, readonly replyTo: ReplyTo<EntityRow | null> }
  | { readonly type: 'members', readonly replyTo: ReplyTo<string[]> }
  /** This node's jobs, the newest first (`id`: only that one, if this node has it). */
  | { readonly type: 'jobs', readonly id?: string, readonly replyTo: ReplyTo<Job[]> }
  /** Cancels one of this node's jobs; answers with it once it stopped (or after CANCEL_JOB_WAIT_MS),
   * null when this node has no such job. */
  | { readonly type: 'cancel-job', readonly id: string, readonly replyTo: ReplyTo<Job | null> }

/** What the inspector needs of this node's jobs (node/jobs Jobs). */
export interface JobsView {
  list (): Job[]
  get (id: string): Job | undefined
  cancel (id: string): Job | undefined
  /** The job once it ended, or as it is after `ms`. */
  settled (id: string, ms: number): Promise<Job | undefined>
}

/** How long a `cancel-job` waits for the job to stop before it answers (the asker waits longer). */
export const CANCEL_JOB_WAIT_MS = 2_000

/** Most peer ids a `members` answer may hold (a cluster is far smaller). */
export const MAX_MEMBERS_LISTED = 4_096

/** Where the inspector lives on every node (the admin API of any node asks it there). */
export const INSPECTOR_PATH = systemPath('inspector', 1)

/** Answers what lives on this node, for cluster-wide admin listings, which members it hears (a
 * joining node waits to hear them too before it takes entities), and its jobs. Read-only, but for
 * cancelling a job. */
export function nodeInspector (system: ActorSystem, heads: JournalHeads, members: () => readonly string[], jobs?: JobsView): Behavior<InspectorMsg, undefined> {
  return {
    init: () => undefined,
    async receive (_state, msg, ctx) {
      switch (msg.type) {
        case 'actors':
          ctx.reply(msg.replyTo, localActors(system, typeof msg.kind === 'string' ? msg.kind : undefined, msg.entities === true))
          return undefined
        case 'entity': {
          ctx.reply(msg.replyTo, await localEntity(system, heads, msg.entityType, msg.key))
          return undefined
        }
        case 'members':
          ctx.reply(msg.replyTo, members().slice(0, MAX_MEMBERS_LISTED))
          return undefined
        case 'jobs': {
          if (msg.id !== undefined && !isJobId(msg.id)) throw new InvalidPeerRequestError('jobs: id must be a job id such as drain-3-k7f2')
          if (msg.id === undefined) {
            ctx.reply(msg.replyTo, jobs?.list() ?? [])
            return undefined
          }
          const job = jobs?.get(msg.id)
          ctx.reply(msg.replyTo, job === undefined ? [] : [job])
          return undefined
        }
        case 'cancel-job': {
          if (!isJobId(msg.id)) throw new InvalidPeerRequestError('cancel-job: id must be a job id such as drain-3-k7f2')
          if (jobs?.cancel(msg.id) === undefined) {
            ctx.reply(msg.replyTo, null)
            return undefined
          }
          // answered once the job stopped, without holding the inspector's mailbox meanwhile
          jobs.settled(msg.id, CANCEL_JOB_WAIT_MS).then((job) => { ctx.reply(msg.replyTo, job ?? null) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return undefined
        }
        default:
          throw new InvalidPeerRequestError(`unknown inspector request ${shown((msg as { type?: unknown }).type, 64)}`)
      }
    }
  }
}

/** This node's live actors and active entities, optionally of one kind or entity type. */
export function localActors (system: ActorSystem, kind?: string, entitiesOnly = false): ActorRow[] {
  const types = new Set(system.entityTypes().map((t) => t.type))
  return system.actors()
    .filter((a) => (kind === undefined || a.kind === kind) && (!entitiesOnly || types.has(a.kind)))
    .map((a) => ({ kind: a.kind, path: a.path, key: types.has(a.kind) ? entityKey(a.path, a.kind) : null, status: a.status, mailbox: a.mailbox, node: system.node }))
}

/** One entity as this node holds it: null when it is neither active here nor journaled here. */
/** How far an entity's journal got (the replicated journal asks its replicas). */
export interface JournalHeads {
  head (entityId: string): Promise<number>
}

export async function localEntity (system: ActorSystem, heads: JournalHeads, type: string, key: string): Promise<EntityRow | null> {
  const known = system.entityTypes().find((t) => t.type === type)
  if (known === undefined || typeof key !== 'string') return null
  const active = system.entities(type).find((e) => e.key === key)
  const seq = await heads.head(`${type}/${key}`)
  if (active === undefined && seq === 0) return null
  return { type, key, node: system.node, active: active !== undefined, status: active?.status ?? null, mailbox: active?.mailbox ?? 0, seq, role: known.role }
}

/** A `members` answer from another node, checked before use: peer ids, or an error. */
export function checkMemberList (value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_MEMBERS_LISTED || !value.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 128)) {
    throw new InvalidPeerRequestError('a member list is an array of peer ids')
  }
  return value as string[]
}

function isJobId (id: unknown): id is string {
  return typeof id === 'string' && adminSchemas.JOB_ID_PATTERN.test(id)
}

/** `/entities/room/general` → `general` for an entity of kind `room`. */
function entityKey (path: string, kind: string): string | null {
  const prefix = `/entities/${kind}/`
  return path.startsWith(prefix) ? path.slice(prefix.length) : null
}
