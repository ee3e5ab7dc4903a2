import type { ActorSystem } from '../../actors/index.ts'
import type { Candidate } from '../mesh/index.ts'
import type { LevelReplicaStorage } from './level-replica-storage.ts'
import { ReplicatedJournal } from './replicated-journal.ts'
import type { ReplicationStats } from './replicated-journal.ts'
import type { LeaseOptions, OwnerLog } from './entity-log.ts'
import { shardHolder, shardHolderPath } from './shard-holder.ts'
import { checkReplicaReply, checkSummary, isEntityId } from './replica-protocol.ts'
import type { BucketEntry, EntitySummary, PartitionPeer } from './anti-entropy.ts'
import { InvalidReplicaReplyError } from './errors.ts'
import { REPLICA_MERKLE_DEPTH } from './level-replica-storage.ts'
import { bucketOf } from './merkle-tree.ts'
import { partitionOf } from './partitioning.ts'
import { REPLICATION_PATH, replicationInspector } from './replication-admin.ts'
import type { RepairParts } from './replication-admin.ts'
import type { ShardHolderMsg } from './shard-holder.ts'

/** How long an owner waits for a replica on another node to answer one request (a replica that
 * is down is not waited for: the others make the quorum, and its pump retries with backoff). */
export const REPLICA_ASK_MS = 3_000

export interface MeshJournalOptions {
  readonly self: string
  readonly storage: LevelReplicaStorage
  readonly roster: () => readonly Candidate[]
  /** Every storage node known, leaving ones included (former holders). */
  readonly known?: () => readonly Candidate[]
  /** The members heard and not down (former holders are asked only among them). */
  readonly live?: () => ReadonlySet<string>
  /** Known storage nodes whose records are all held elsewhere (replaced; leaving and down). */
  readonly holdsNothing?: (peerId: string) => boolean
  readonly replicationFactor?: number
  readonly writeQuorum?: number
  readonly stats?: ReplicationStats
  /** Owners' leases (docs/replication.md, "Leases"); none for a node alone. */
  readonly lease?: LeaseOptions
  /** The actor system, once it exists (it needs the journal to be built first). */
  readonly system: () => ActorSystem
  /** Where owners say, at debug, what their fences and appends waited for. */
  readonly log?: OwnerLog
}

/** The replicated journal of a node on the mesh: other nodes' replicas are asked through their
 * shard holders (spawnShardHolders on every node). */
export function meshJournal (opts: MeshJournalOptions): ReplicatedJournal {
  return new ReplicatedJournal({
    self: opts.self,
    storage: opts.storage,
    roster: opts.roster,
    ...(opts.known !== undefined && { known: opts.known }),
    ...(opts.live !== undefined && { live: opts.live }),
    ...(opts.holdsNothing !== undefined && { holdsNothing: opts.holdsNothing }),
    ...(opts.replicationFactor !== undefined && { replicationFactor: opts.replicationFactor }),
    ...(opts.writeQuorum !== undefined && { writeQuorum: opts.writeQuorum }),
    ...(opts.stats !== undefined && { stats: opts.stats }),
    ...(opts.lease !== undefined && { lease: opts.lease }),
    ...(opts.log !== undefined && { log: opts.log }),
    // what another node answers is checked like anything else from the wire
    remote: async (node, partition, request) => checkReplicaReply(request, await opts.system().actorAt<ShardHolderMsg>({ node, path: shardHolderPath(partition) })
      .ask((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS }))
  })
}

/** One shard holder per partition on this node, and the replicas' inspector (`/replication`). Every node answers for the replicas it holds (a
 * node that lost the storage role still serves what it has until its replicas move: issue 13). */
export function spawnShardHolders (system: ActorSystem, journal: ReplicatedJournal, parts?: RepairParts): void {
  system.spawn(replicationInspector(journal.storage, parts), { name: REPLICATION_PATH.slice(1), kind: 'replication-inspector', mailbox: 256 })
  for (let p = 0; p < journal.partitions; p++) {
    system.spawn(shardHolder(p, journal), { name: shardHolderPath(p).slice(1), kind: 'shard-holder', mailbox: 65_536 })
  }
}

const HASH = /^[0-9a-f]{64}$/
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

/** Most entities one bucket answer may list. */
const MAX_BUCKET_ENTITIES = 100_000

/**
 * Another node's replica of a partition as anti-entropy asks it, through its shard holder; every
 * answer is checked before use (InvalidReplicaReplyError: the pass with that peer stops, nothing
 * is filled from it).
 */
export function meshPeer (system: ActorSystem, node: string, partition: number, partitions: number): PartitionPeer {
  const holder = (): ReturnType<ActorSystem['actorAt']> => system.actorAt<ShardHolderMsg>({ node, path: shardHolderPath(partition) })
  const fail = (why: string): never => { throw new InvalidReplicaReplyError(`${node}, partition ${partition}: ${why}`) }
  return {
    async tree (level, from, count) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'tree', level, from, count }, replyTo }), { timeout: REPLICA_ASK_MS })
      if (!Array.isArray(value) || value.length > count || !value.every((h) => typeof h === 'string' && HASH.test(h))) fail(`tree level ${level}: expected at most ${count} hashes`)
      return (value as string[]).map(fromHex)
    },
    async bucket (bucket) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'bucket', bucket }, replyTo }), { timeout: REPLICA_ASK_MS })
      if (!Array.isArray(value) || value.length > MAX_BUCKET_ENTITIES) fail(`bucket ${bucket}: expected a list of entities`)
      for (const e of value as Array<Record<string, unknown> | null>) {
        if (e === null || typeof e !== 'object' || !isEntityId(e.entity) || typeof e.promisedBy !== 'string' || e.promisedBy.length > 128 ||
          partitionOf(e.entity, partitions) !== partition || bucketOf(e.entity, REPLICA_MERKLE_DEPTH) !== bucket) {
          fail(`bucket ${bucket}: an entry that is not an entity of this bucket`)
        }
        checkSummary(e?.summary, fail)
        if (typeof e?.digest !== 'string' || !HASH.test(e.digest)) fail(`bucket ${bucket}: ${String(e?.entity)} without its digest`)
      }
      return (value as Array<BucketEntry & { digest: string }>).map((e) => ({ ...e, digest: fromHex(e.digest) }))
    },
    async spans (entity, from, to, span) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'spans', entity, from, to, span }, replyTo }), { timeout: REPLICA_ASK_MS })
      const count = Math.ceil((to - from + 1) / span)
      if (!Array.isArray(value) || value.length !== count || !value.every((h) => typeof h === 'string' && HASH.test(h))) fail(`spans of ${entity}: expected ${count} digests`)
      return (value as string[]).map(fromHex)
    },
    async read (entity, from, limit) {
      const request = { op: 'read', entity, from, limit } as const
      return checkReplicaReply(request, await holder().ask<unknown>((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS }))
    },
    async entities (after, limit) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'entities', after, limit }, replyTo }), { timeout: REPLICA_ASK_MS })
      return checkEntityPage(value, after, limit, partition, partitions, fail)
    }
  }
}

/**
 * A page of a partition's entities as a peer answered it, checked: at most `limit`, each an entity
 * of this partition, in id order after `after` (so a peer cannot make a listing loop, skip back or
 * slip in another partition's entity), each with a well-formed summary.
 */
export function checkEntityPage (value: unknown, after: string, limit: number, partition: number, partitions: number, fail: (why: string) => never): EntitySummary[] {
  const from = after === '' ? 'the start' : after
  if (!Array.isArray(value) || value.length > limit) fail(`entities after ${from}: expected at most ${limit}`)
  let last = after
  for (const e of value as Array<Record<string, unknown> | null>) {
    if (e === null || typeof e !== 'object' || !isEntityId(e.entity) || partitionOf(e.entity, partitions) !== partition || !(e.entity > last)) {
      fail(`entities after ${from}: an entry that is not the next entity of this partition`)
    }
    checkSummary(e?.summary, fail)
    last = e?.entity as string
  }
  return (value as EntitySummary[]).map((e) => ({ entity: e.entity, summary: e.summary }))
}
