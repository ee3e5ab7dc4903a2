import type { ActorSystem } from '../../actors/index.ts'
import { APPEND_BATCH_RECORDS, REPLICA_ASK_MS, checkReplicaReply, shardHolderPath } from '../replication/index.ts'
import type { ReplicaRequest, ReplicatedJournal, ReplyOf, ShardHolderMsg, StoredRecord } from '../replication/index.ts'
import { BackupRestoreError } from './errors.ts'

/** Fences tried before a restore of one entity gives up (each refused one names a higher promise). */
const FENCE_TRIES = 5

/** One replica of a partition, asked as an owner asks it. */
export type ReplicaClient = <R extends ReplicaRequest>(request: R) => Promise<ReplyOf<R>>

/** The replica of `partition` on `node`: in-process on this node, through its shard holder elsewhere
 * (every answer checked). */
export function replicaClient (system: ActorSystem, journal: ReplicatedJournal, self: string, node: string, partition: number): ReplicaClient {
  if (node === self) return async (request) => await journal.core(partition).handle(request)
  return async <R extends ReplicaRequest>(request: R): Promise<ReplyOf<R>> => {
    const value = await system.actorAt<ShardHolderMsg>({ node, path: shardHolderPath(partition) })
      .ask<unknown>((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS })
    return checkReplicaReply(request, value)
  }
}

/**
 * Makes an entity's journal the backup's records, on every replica of its partition: fences an epoch
 * above any promised there (so no owner writes again under an older one), writes seq 1..N under it
 * (each replica drops every record of another epoch from seq 1 on: the records after the backup
 * go), and replaces the snapshot with the state those records give. Every replica must answer: a
 * replica left out would keep a log or a snapshot that recovery could prefer.
 *
 * An activation that fences meanwhile (a message reached the entity while it was not held) makes
 * the writes stale: BackupRestoreError, and the caller tries again.
 */
export async function rewriteJournal (entity: string, records: readonly StoredRecord[], state: unknown, replicas: ReadonlyMap<string, ReplicaClient>, activation: string): Promise<{ epoch: number, dropped: number }> {
  const fail = (why: string): never => { throw new BackupRestoreError(`${entity}: ${why}`) }
  const ask = async <R extends ReplicaRequest>(node: string, request: R): Promise<ReplyOf<R>> => {
    try {
      return await (replicas.get(node) as ReplicaClient)(request)
    } catch (err) {
      return fail(`replica ${node} did not answer (${(err as Error).message}); a restore needs every replica of the partition`)
    }
  }
  const nodes = [...replicas.keys()]
  const summaries = await Promise.all(nodes.map(async (node) => await ask(node, { op: 'summary', entity })))
  const dropped = Math.max(0, ...summaries.map((s) => s.head)) - records.length
  let epoch = Math.max(0, ...summaries.map((s) => s.promised)) + 1
  for (let tries = 0; ; tries++) {
    const answers = await Promise.all(nodes.map(async (node) => await ask(node, { op: 'fence', entity, epoch, activation })))
    const refused = answers.filter((a) => !a.ok)
    if (refused.length === 0) break
    if (tries + 1 >= FENCE_TRIES) fail(`${FENCE_TRIES} fences were refused (an owner keeps taking it); try again`)
    epoch = Math.max(...refused.map((a) => (a as { promised: number }).promised)) + 1
  }
  const rewritten = records.map((r) => ({ seq: r.seq, epoch, event: r.event }))
  await Promise.all(nodes.map(async (node) => {
    for (let i = 0; i < rewritten.length; i += APPEND_BATCH_RECORDS) {
      const page = rewritten.slice(i, i + APPEND_BATCH_RECORDS)
      const reply = await ask(node, { op: 'append', entity, epoch, activation, prevSeq: i, prevEpoch: i === 0 ? 0 : epoch, records: page })
      if (reply.result !== 'ok') fail(`replica ${node} answered ${reply.result} to the rewrite (an activation took the entity meanwhile); try again`)
    }
    if (rewritten.length > 0) {
      const saved = await ask(node, { op: 'save-snapshot', entity, epoch, snapshot: { seq: rewritten.length, state }, replace: true })
      if (saved.result !== 'ok') fail(`replica ${node} refused the snapshot (an activation took the entity meanwhile); try again`)
    }
  }))
  return { epoch, dropped }
}
