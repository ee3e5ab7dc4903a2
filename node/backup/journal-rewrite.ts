import type { ActorSystem } from '../../actors/index.ts'
import { APPEND_BATCH_RECORDS, REPLICA_ASK_MS, checkReplicaReply, matchPoint, shardHolderPath, withRecords } from '../replication/index.ts'
import type { ReplicaRequest, ReplicatedJournal, ReplyOf, ShardHolderMsg, StoredRecord } from '../replication/index.ts'
import { FENCE_TRIES } from './constants.ts'
import { BackupRestoreError } from './errors.ts'


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
 * Makes an entity's journal the backup's records, on every replica of its partition, writing only
 * where a replica's log parts from the backup's. By log matching (two logs with a record of the
 * same seq and epoch hold the same records up to it: docs/replication.md), each replica's summary
 * says how far its log is the backup's already (matchPoint). A journal that is the backup's on every
 * replica is left alone. Otherwise it fences an epoch above any promised there (so no owner writes
 * again under an older one), and on each replica writes the backup's records after the part they
 * share under that epoch (at least the last record: what follows it goes), and replaces the
 * snapshot with the state of the backup's records where the one held was built from records that
 * go. Every replica must answer: a replica left out would keep a log or a snapshot that recovery
 * could prefer. `records` are seq 1..N; `state` gives their state (asked only when a snapshot
 * is replaced).
 *
 * An activation that fences meanwhile (a message reached the entity while it was not held) makes
 * the writes stale: BackupRestoreError, and the caller tries again.
 */
export async function rewriteJournal (entity: string, records: readonly StoredRecord[], state: () => unknown, replicas: ReadonlyMap<string, ReplicaClient>, activation: string): Promise<{ epoch: number, dropped: number, written: number }> {
  const fail = (why: string): never => { throw new BackupRestoreError(`${entity}: ${why}`) }
  const ask = async <R extends ReplicaRequest>(node: string, request: R): Promise<ReplyOf<R>> => {
    try {
      return await (replicas.get(node) as ReplicaClient)(request)
    } catch (err) {
      return fail(`replica ${node} did not answer (${(err as Error).message}); a restore needs every replica of the partition`)
    }
  }
  const n = records.length
  if (!records.every((r, i) => r.seq === i + 1)) fail('the records to write are not seq 1..N')
  const nodes = [...replicas.keys()]
  const summaries = new Map(await Promise.all(nodes.map(async (node) => [node, await ask(node, { op: 'summary', entity })] as const)))
  const dropped = Math.max(0, ...[...summaries.values()].map((s) => s.head)) - n
  // how far each replica's log is the backup's already
  const backupLog = { segments: withRecords([], 1, records.map((r) => r.epoch)), head: n }
  const shared = new Map([...summaries].map(([node, s]) => [node, n === 0 ? 0 : matchPoint(backupLog, s)]))
  if (n > 0 && nodes.every((node) => shared.get(node) === n && summaries.get(node)?.head === n)) return { epoch: 0, dropped: 0, written: 0 }
  let epoch = Math.max(0, ...[...summaries.values()].map((s) => s.promised)) + 1
  for (let tries = 0; ; tries++) {
    const answers = await Promise.all(nodes.map(async (node) => await ask(node, { op: 'fence', entity, epoch, activation })))
    const refused = answers.filter((a) => !a.ok)
    if (refused.length === 0) break
    if (tries + 1 >= FENCE_TRIES) fail(`${FENCE_TRIES} fences were refused (an owner keeps taking it); try again`)
    epoch = Math.max(...refused.map((a) => (a as { promised: number }).promised)) + 1
  }
  let written = 0
  let folded: { state: unknown } | undefined
  await Promise.all(nodes.map(async (node) => {
    // at least the last record is written again: a replica holding more loses what follows it
    const from = n === 0 ? 0 : Math.min(shared.get(node) ?? 0, n - 1)
    for (let at = from; at < n; at += APPEND_BATCH_RECORDS) {
      const page = records.slice(at, at + APPEND_BATCH_RECORDS).map((r) => ({ seq: r.seq, epoch, event: r.event }))
      const prevEpoch = at === 0 ? 0 : at === from ? (records[at - 1] as StoredRecord).epoch : epoch
      const reply = await ask(node, { op: 'append', entity, epoch, activation, prevSeq: at, prevEpoch, records: page })
      if (reply.result !== 'ok') fail(`replica ${node} answered ${reply.result} to the rewrite (an activation took the entity meanwhile); try again`)
      written += page.length
    }
    // a snapshot built from records that went gives way to the backup's state
    if (n > 0 && (summaries.get(node)?.snapshotSeq ?? 0) > from) {
      const saved = await ask(node, { op: 'save-snapshot', entity, epoch, snapshot: { seq: n, state: (folded ??= { state: state() }).state }, replace: true })
      if (saved.result !== 'ok') fail(`replica ${node} refused the snapshot (an activation took the entity meanwhile); try again`)
    }
  }))
  return { epoch, dropped, written }
}
