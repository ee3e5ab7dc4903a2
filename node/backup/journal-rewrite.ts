import type { ActorSystem } from '../../actors/index.ts'
import { APPEND_BATCH_RECORDS, REPLICA_ASK_MS, SEALED_APPEND_BYTES, SEALED_APPEND_RECORDS, SealedRecord, checkReplicaReply, epochAt, floorOf, frameStored, matchPoint, shardHolderPath, withRecords } from '../replication/index.ts'
import type { LogSummary, ReplicaRequest, ReplicatedJournal, ReplyOf, ShardHolderMsg, StoredRecord, StoredSnapshot } from '../replication/index.ts'
import { FENCE_TRIES } from './constants.ts'
import { BackupRestoreError } from './errors.ts'


export interface RewriteOptions {
  /** The records' stored values (sealedRecord: a backup that kept them as stored) were sealed
   * under the keys they get here (the backup's partition count is this cluster's): they are
   * written as they are, under their own epochs, in bulk (append-sealed). */
  readonly sealedKeys?: boolean
}

/** A record as decoded from the backup, untouched: a copy of one ({ ...r, event }: the erasure
 * filter's scrubbed post) carries its old bytes, which are not its event any more, and is written
 * the way an owner writes it. */
function isSealed (r: StoredRecord): r is SealedRecord {
  return r instanceof SealedRecord
}

/** A sealed journal's append-sealed pages: from a seq on, as many records as one request takes
 * (SEALED_APPEND_BYTES, SEALED_APPEND_RECORDS), framed once for every replica that takes them. */
class SealedPages {
  readonly #records: readonly SealedRecord[]
  readonly #pages = new Map<number, { readonly end: number, readonly values: Buffer }>()

  constructor (records: readonly SealedRecord[]) {
    this.#records = records
  }

  /** The page of records after seq `at` (index `at` on): where it ends, its frames. */
  after (at: number): { readonly end: number, readonly values: Buffer } {
    let page = this.#pages.get(at)
    if (page === undefined) {
      const records = this.#records
      let end = at
      let bytes = 0
      while (end < records.length && end - at < SEALED_APPEND_RECORDS && (end === at || bytes + (records[end] as SealedRecord).sealed.byteLength <= SEALED_APPEND_BYTES)) {
        bytes += (records[end] as SealedRecord).sealed.byteLength
        end++
      }
      page = { end, values: frameStored(records.slice(at, end).map((r) => r.sealed)) }
      this.#pages.set(at, page)
    }
    return page
  }
}

/** records[from..] to one replica in append-sealed pages, after seq `from`; the count written. */
async function appendSealed (entity: string, pages: SealedPages, records: readonly SealedRecord[], from: number, epoch: number, activation: string,
  ask: (request: Extract<ReplicaRequest, { op: 'append-sealed' }>) => Promise<ReplyOf<Extract<ReplicaRequest, { op: 'append-sealed' }>>>, fail: (why: string) => never): Promise<number> {
  let at = from
  while (at < records.length) {
    const { end, values } = pages.after(at)
    const reply = await ask({ op: 'append-sealed', entity, epoch, activation, prevSeq: at, prevEpoch: at === 0 ? 0 : (records[at - 1] as SealedRecord).epoch, values })
    if (reply.result !== 'ok') fail(`a replica answered ${reply.result} to the restore's bulk write (an activation took the entity meanwhile); try again`)
    at = end
  }
  return at - from
}

/** How a restore left an entity's journal: the epoch it fenced (0: none, nothing to do), the
 * records it dropped (written after the backup) and those it wrote. */
export interface Rewritten {
  readonly epoch: number
  readonly dropped: number
  readonly written: number
}

/** One replica of a partition, asked as an owner asks it. */
export type ReplicaClient = <R extends ReplicaRequest>(request: R) => Promise<ReplyOf<R>>

/** The replica of `partition` on `node`: in-process on this node, through its shard holder elsewhere
 * (every answer checked). */
export function replicaClient (system: ActorSystem, journal: ReplicatedJournal, self: string, node: string, partition: number): ReplicaClient {
  // (it writes as an owner does: under the partition's configuration version here, docs/replication.md
  // "Roster versions"; a replica that holds a newer one refuses it, and the restore says try again)
  if (node === self) return async (request) => await journal.core(partition).handle(journal.versioned(partition, request))
  return async <R extends ReplicaRequest>(given: R): Promise<ReplyOf<R>> => {
    const request = journal.versioned(partition, given)
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
 * A trimmed backup (`trimmed`: its floor and the snapshot covering what is below it; `records` are
 * then floor..N) is written whole: every replica takes the floor with the backup's snapshot (a
 * trim in the new epoch), then the records, then the snapshot replaces the one held. A replica
 * trimmed above the backup's floor since cannot take what is below its floor back:
 * BackupRestoreError (docs/replication.md, "Rewrites and trims").
 *
 * Records that came as the store kept them (sealedRecord), with `opts.sealedKeys` (the backup's
 * partition count is this cluster's, so each keeps its key and its seal holds), are written as
 * they are instead: each replica truncates what it holds past the shared part, then takes the
 * rest in bulk (append-sealed) under the records' own epochs; the fence's epoch is only promised.
 * The restored log is then the backup's exactly, on every replica, and no record is encoded or
 * sealed again.
 *
 * An activation that fences meanwhile (a message reached the entity while it was not held) makes
 * the writes stale: BackupRestoreError, and the caller tries again.
 */
export async function rewriteJournal (entity: string, records: readonly StoredRecord[], state: () => unknown, replicas: ReadonlyMap<string, ReplicaClient>, activation: string,
  trimmed?: { readonly floor: number, readonly snapshot: StoredSnapshot }, opts: RewriteOptions = {}): Promise<Rewritten> {
  const { fail, ask } = asking(entity, replicas)
  const floor = trimmed?.floor ?? 1
  const n = floor - 1 + records.length
  if (!records.every((r, i) => r.seq === floor + i)) fail(`the records to write are not seq ${floor}..N`)
  const nodes = [...replicas.keys()]
  const summaries = new Map(await Promise.all(nodes.map(async (node) => [node, await ask(node, { op: 'summary', entity })] as const)))
  for (const [node, s] of summaries) if (floorOf(s) > floor) fail(`replica ${node} was trimmed below seq ${floorOf(s)} since the backup (from seq ${floor}): what it dropped cannot be written back`)
  const dropped = Math.max(0, ...[...summaries.values()].map((s) => s.head)) - n
  // how far each replica's log is the backup's already (a trimmed backup is written whole)
  const backupLog = { segments: withRecords([], 1, records.map((r) => r.epoch)), head: n }
  const shared = new Map([...summaries].map(([node, s]) => [node, n === 0 || trimmed !== undefined ? 0 : matchPoint(backupLog, s)]))
  if (n > 0 && trimmed === undefined && nodes.every((node) => shared.get(node) === n && summaries.get(node)?.head === n)) return { epoch: 0, dropped: 0, written: 0 }
  const { epoch } = await fenceEvery(entity, nodes, summaries, activation, ask, fail)
  let written = 0
  let folded: { state: unknown } | undefined
  if (opts.sealedKeys === true && trimmed === undefined && n > 0 && records.every(isSealed)) {
    // the records as they were stored, under their own epochs and seals: each replica drops what
    // it holds past the part it shares with the backup's log, then takes the rest in bulk
    const pages = new SealedPages(records as readonly SealedRecord[])
    await Promise.all(nodes.map(async (node) => {
      const at = shared.get(node) ?? 0
      const held = summaries.get(node) as { head: number, snapshotSeq: number }
      if (held.head > at) {
        const cut = await ask(node, { op: 'truncate', entity, epoch, activation, after: at, afterEpoch: at === 0 ? 0 : (records[at - 1] as StoredRecord).epoch })
        if (cut.result !== 'ok') fail(`replica ${node} answered ${cut.result} to the restore's truncate (an activation took the entity meanwhile); try again`)
      }
      const took = await appendSealed(entity, pages, records as readonly SealedRecord[], at, epoch, activation, async (request) => await ask(node, request), fail)
      written += took
      if (held.snapshotSeq > at) {
        const saved = await ask(node, { op: 'save-snapshot', entity, epoch, snapshot: { seq: n, state: (folded ??= { state: state() }).state }, replace: true })
        if (saved.result !== 'ok') fail(`replica ${node} refused the snapshot (an activation took the entity meanwhile); try again`)
      }
    }))
    return { epoch, dropped, written }
  }
  await Promise.all(nodes.map(async (node) => {
    if (trimmed !== undefined) {
      // the floor, with the backup's snapshot, in the new epoch: the log up to it is the backup's
      const took = await ask(node, { op: 'trim', entity, epoch, activation, before: floor, prevEpoch: epoch, snapshot: trimmed.snapshot })
      if (took.result !== 'ok') fail(`replica ${node} answered ${took.result} to the trim (an activation took the entity meanwhile); try again`)
    }
    // at least the last record is written again: a replica holding more loses what follows it
    const from = n === 0 ? 0 : trimmed !== undefined ? floor - 1 : Math.min(shared.get(node) ?? 0, n - 1)
    for (let at = from; at < n; at += APPEND_BATCH_RECORDS) {
      const page = records.slice(at - floor + 1, at - floor + 1 + APPEND_BATCH_RECORDS).map((r) => ({ seq: r.seq, epoch, event: r.event, ...((r.rev ?? 0) > 0 && { rev: r.rev, revEpoch: r.revEpoch ?? r.epoch }) }))
      const prevEpoch = at === 0 ? 0 : at === from && trimmed === undefined ? (records[at - 1] as StoredRecord).epoch : epoch
      const reply = await ask(node, { op: 'append', entity, epoch, activation, prevSeq: at, prevEpoch, records: page })
      if (reply.result !== 'ok') fail(`replica ${node} answered ${reply.result} to the rewrite (an activation took the entity meanwhile); try again`)
      written += page.length
    }
    // a snapshot built from records that went gives way to the backup's state (a trimmed backup's own)
    if (trimmed !== undefined) {
      const saved = await ask(node, { op: 'save-snapshot', entity, epoch, snapshot: trimmed.snapshot, replace: true })
      if (saved.result !== 'ok') fail(`replica ${node} refused the snapshot (an activation took the entity meanwhile); try again`)
    } else if (n > 0 && (summaries.get(node)?.snapshotSeq ?? 0) > from) {
      const saved = await ask(node, { op: 'save-snapshot', entity, epoch, snapshot: { seq: n, state: (folded ??= { state: state() }).state }, replace: true })
      if (saved.result !== 'ok') fail(`replica ${node} refused the snapshot (an activation took the entity meanwhile); try again`)
    }
  }))
  return { epoch, dropped, written }
}

type Ask = <R extends ReplicaRequest>(node: string, request: R) => Promise<ReplyOf<R>>

/** A restore's asks of an entity's replicas: every replica must answer (BackupRestoreError). */
function asking (entity: string, replicas: ReadonlyMap<string, ReplicaClient>): { fail: (why: string) => never, ask: Ask } {
  const fail = (why: string): never => { throw new BackupRestoreError(`${entity}: ${why}`) }
  const ask: Ask = async (node, request) => {
    try {
      return await (replicas.get(node) as ReplicaClient)(request)
    } catch (err) {
      return fail(`replica ${node} did not answer (${(err as Error).message}); a restore needs every replica of the partition`)
    }
  }
  return { fail, ask }
}

/** Fences an epoch above every promise `summaries` show on every replica (higher when one refuses);
 * the epoch, and each replica's log as its promise reported it. */
async function fenceEvery (entity: string, nodes: readonly string[], summaries: ReadonlyMap<string, LogSummary>, activation: string, ask: Ask, fail: (why: string) => never): Promise<{ epoch: number, fenced: Map<string, LogSummary> }> {
  let epoch = Math.max(0, ...[...summaries.values()].map((s) => s.promised)) + 1
  for (let tries = 0; ; tries++) {
    const answers = await Promise.all(nodes.map(async (node) => [node, await ask(node, { op: 'fence', entity, epoch, activation })] as const))
    const refused = answers.flatMap(([, a]) => a.ok ? [] : [a.promised])
    if (refused.length === 0) return { epoch, fenced: new Map(answers.map(([node, a]) => [node, (a as { summary: LogSummary }).summary])) }
    if (tries + 1 >= FENCE_TRIES) fail(`${FENCE_TRIES} fences were refused (an owner keeps taking it); try again`)
    epoch = Math.max(...refused) + 1
  }
}

/** Whether a replica's log is the backup's up to its last record (`head`, of `headEpoch`: by log
 * matching the same records up to it), its floor at or below it. */
function holdsBackup (s: LogSummary, head: number, headEpoch: number): boolean {
  return s.head >= head && floorOf(s) <= head && epochAt(s.segments, s.head, head) === headEpoch
}

/** The backup's last record, for a cut one record earlier (cutToBackup's `tail`). */
export interface BackupTail {
  /** The epoch of the record before the backup's head. */
  readonly prevEpoch: number
  /** The head record as the store kept it (sealed under the key it has here). */
  read (): Promise<SealedRecord>
}

/**
 * A restore that reads no record of the backup (a room put back to last night's backup after a bad
 * afternoon): when every replica holds the backup's log whole (holdsBackup), the entity's journal
 * becomes the backup's by cutting what each holds after the backup's last record, `head`. A fence
 * above every promise first (no owner writes again under an older epoch); then, on a replica whose
 * snapshot was built past the cut (from records that go), the backup's own snapshot of the entity in
 * its place (`snapshot`, at or below `head`: recovery replays the records after it); then a
 * truncate where a replica holds more. What was written after the backup goes, as rewriteJournal
 * drops it.
 *
 * An activation since the backup seals the head it recovers anew under its own epoch, so a room
 * that was passivated and woken again holds the backup's records up to `head − 1` only. With
 * `tail` (the backup's head record as stored, and the epoch before it), such a journal is cut after
 * `head − 1` and takes the backup's head record back as it was stored: one record read from the
 * backup, not its block.
 *
 * Undefined when some replica's log is not so, before the fence (nothing written) or after it (a
 * write landed between: only the fence's promise written), or when a snapshot is past the cut and
 * the backup holds none (`snapshot` absent): the caller then reads the backup's records and
 * rewrites them. The backup's snapshot and head record are read before any replica's log or
 * snapshot is written. What the replicas hold up to the cut stays as it is, as rewriteJournal
 * leaves the part a replica shares.
 */
export async function cutToBackup (entity: string, head: number, headEpoch: number, replicas: ReadonlyMap<string, ReplicaClient>, activation: string,
  snapshot?: () => Promise<StoredSnapshot>, tail?: BackupTail): Promise<Rewritten | undefined> {
  if (head < 1) return undefined
  const { fail, ask } = asking(entity, replicas)
  const nodes = [...replicas.keys()]
  const summaries = new Map(await Promise.all(nodes.map(async (node) => [node, await ask(node, { op: 'summary', entity })] as const)))
  const usable = (logs: Iterable<LogSummary>, at: number, atEpoch: number): boolean => [...logs].every((s) => holdsBackup(s, at, atEpoch) && (s.snapshotSeq <= at || snapshot !== undefined))
  // the cut: after the backup's head, or after the record before it
  const whole = usable(summaries.values(), head, headEpoch)
  if (!whole && (tail === undefined || head < 2 || !usable(summaries.values(), head - 1, tail.prevEpoch))) return undefined
  const [at, atEpoch] = whole ? [head, headEpoch] : [head - 1, (tail as BackupTail).prevEpoch]
  if (whole && [...summaries.values()].every((s) => s.head === head && s.snapshotSeq <= head)) return { epoch: 0, dropped: 0, written: 0 }
  // the backup's snapshot and head record are read before anything is written: a restore that
  // fails reading them leaves the journal as it was
  let taken: StoredSnapshot | undefined
  const backupSnapshot = async (): Promise<StoredSnapshot> => (taken ??= await (snapshot as () => Promise<StoredSnapshot>)())
  if ([...summaries.values()].some((s) => s.snapshotSeq > at)) await backupSnapshot()
  const headRecord = whole ? undefined : await (tail as BackupTail).read()
  const { epoch, fenced } = await fenceEvery(entity, nodes, summaries, activation, ask, fail)
  if (!usable(fenced.values(), at, atEpoch)) return undefined
  // (and one past the cut that a replica built between its summary and the fence: also read
  // before any replica is written)
  if ([...fenced.values()].some((s) => s.snapshotSeq > at)) await backupSnapshot()
  await Promise.all(nodes.map(async (node) => {
    const held = fenced.get(node) as LogSummary
    // the snapshot first: a replica stopped between the two holds the backup's snapshot and the
    // records after it, which recovery reads as it should, until the restore is tried again
    if (held.snapshotSeq > at) {
      const saved = await ask(node, { op: 'save-snapshot', entity, epoch, snapshot: await backupSnapshot(), replace: true })
      if (saved.result !== 'ok') fail(`replica ${node} refused the backup's snapshot (an activation took the entity meanwhile); try again`)
    }
    if (held.head > at) {
      const cut = await ask(node, { op: 'truncate', entity, epoch, activation, after: at, afterEpoch: atEpoch })
      if (cut.result !== 'ok') fail(`replica ${node} answered ${cut.result} to the restore's truncate (an activation took the entity meanwhile); try again`)
    }
    if (headRecord !== undefined) {
      const put = await ask(node, { op: 'append-sealed', entity, epoch, activation, prevSeq: at, prevEpoch: atEpoch, values: frameStored([headRecord.sealed]) })
      if (put.result !== 'ok') fail(`replica ${node} answered ${put.result} to the restore's write of the backup's last record (an activation took the entity meanwhile); try again`)
    }
  }))
  return { epoch, dropped: Math.max(...[...fenced.values()].map((s) => s.head)) - head, written: headRecord === undefined ? 0 : nodes.length }
}
