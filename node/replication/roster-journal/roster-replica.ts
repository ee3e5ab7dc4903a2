import type { ActorSystem, Behavior, ReplyTo } from '../../../actors/index.ts'
import { systemPath } from '../../../protocols/p2p/index.ts'
import { LevelStore } from '../../storage/index.ts'
import { REPLICA_ASK_MS, SHARD_HOLDER_MAILBOX } from '../constants.ts'
import { InvalidReplicaRequestError } from '../errors.ts'
import type { OwnerEnv } from '../journal/owner-env.ts'
import { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import { ReplicaCore } from '../replica/replica-core.ts'
import { checkReplicaReply, checkReplicaRequest } from '../replica/replica-protocol.ts'
import type { ReplicaRequest, ReplyOf } from '../replica/replica-protocol.ts'
import { answeringActor } from './answering-actor.ts'
import { ROSTER_ENTITY } from './roster-keeper.ts'

/** Where a storage node's replica of the roster journal answers. */
export const ROSTER_REPLICA_PATH = systemPath('roster-replica', 1)
/** The roster journal's store, in the data dir (docs/replication.md, "Roster versions"). */
export const ROSTER_STORE_DIR = 'roster-store'
/** The roster journal writes a few hundred bytes a change: LevelDB's memtable need not be large. */
const ROSTER_WRITE_BUFFER_BYTES = 256 * 1024

export type RosterReplicaMsg = { readonly type: 'replica', readonly request: ReplicaRequest, readonly replyTo: ReplyTo<unknown> }

/**
 * A node's replica of the roster journal: a small LevelDB of its own (one partition), apart from
 * the data partitions, so that no hand-off, retirement, anti-entropy pass, backup or erasure scan of
 * theirs ever touches it, and its configuration version is the roster's alone.
 */
export class RosterReplica {
  readonly store: LevelStore
  readonly core: ReplicaCore

  private constructor (store: LevelStore, core: ReplicaCore) {
    this.store = store
    this.core = core
  }

  /** `versionRaised`: told of each roster version a keeper's request stored here (the node learns
   * that it exists, and reads it from the keeper). */
  static async open (dir: string, opts: { readonly sync?: boolean, readonly versionRaised?: (version: number) => void } = {}): Promise<RosterReplica> {
    const store = await LevelStore.open(dir, { ...(opts.sync !== undefined && { sync: opts.sync }), writeBufferBytes: ROSTER_WRITE_BUFFER_BYTES })
    try {
      const storage = await LevelReplicaStorage.open(store, 1)
      const raised = opts.versionRaised
      return new RosterReplica(store, new ReplicaCore(storage, raised === undefined ? {} : { versionRaised: (_p, v) => { raised(v) } }))
    } catch (err) {
      await store.close()
      throw err
    }
  }

  /** Serves keepers on other nodes at ROSTER_REPLICA_PATH. */
  spawn (system: ActorSystem): void {
    system.spawn(rosterReplicaHolder(this.core), { name: ROSTER_REPLICA_PATH.slice(1), kind: 'roster-replica', mailbox: SHARD_HOLDER_MAILBOX })
  }

  async close (): Promise<void> { await this.store.close() }
}

/** A request from another node for the roster journal's replica, checked as a shard holder checks
 * one (anything else, another entity's included, is refused and changes nothing). */
export function checkRosterReplicaMsg (value: unknown): RosterReplicaMsg {
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object' || m.type !== 'replica') throw new InvalidReplicaRequestError('roster replica: expected { type: "replica", request, replyTo }')
  const request = checkReplicaRequest(m.request)
  if (request.entity !== ROSTER_ENTITY) throw new InvalidReplicaRequestError(`roster replica: only ${ROSTER_ENTITY} is kept here, not ${request.entity}`)
  return { type: 'replica', request, replyTo: m.replyTo as ReplyTo<unknown> }
}

/** The roster journal's replica as an actor: each request answered once the replica has served it. */
export function rosterReplicaHolder (core: ReplicaCore): Behavior<RosterReplicaMsg, undefined> {
  return answeringActor<RosterReplicaMsg, RosterReplicaMsg>(checkRosterReplicaMsg, async (msg) => await core.handle(msg.request))
}

/** How a keeper on this node reaches the roster journal's replicas: its own node's directly (when it
 * keeps one), the others' over the mesh, each answer checked; the node's timers and clocks. */
export function rosterEnv (opts: { readonly self: string, readonly system: () => ActorSystem, readonly local?: ReplicaCore, readonly live?: (node: string) => boolean }): OwnerEnv {
  const { self, local } = opts
  return {
    call: async <R extends ReplicaRequest>(node: string, request: R): Promise<ReplyOf<R>> => {
      if (node === self && local !== undefined) return await local.handle(request)
      const answer = await opts.system().actorAt<RosterReplicaMsg>({ node, path: ROSTER_REPLICA_PATH }).ask((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS })
      return checkReplicaReply(request, answer)
    },
    timer: (ms, fn) => {
      const t = setTimeout(fn, ms)
      return () => { clearTimeout(t) }
    },
    random: Math.random,
    now: Date.now,
    clock: () => performance.now(),
    ...(opts.live !== undefined && { live: opts.live })
  }
}
