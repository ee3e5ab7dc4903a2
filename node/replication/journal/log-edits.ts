import { APPEND_BATCH_RECORDS, RETRY_MAX_MS, RETRY_MIN_MS } from '../constants.ts'
import { EntityLogClosedError, ReplicasUnavailableError, StaleEpochError } from '../errors.ts'
import type { ReplicaRequest, StoredRecord, StoredSnapshot } from '../replica/replica-protocol.ts'
import type { LogState, ReplicaTrack } from './log-state.ts'
import type { LogSummary } from './log-summary.ts'
import type { OwnerEnv } from './owner-env.ts'
import type { ReplicaFeed } from './replica-feed.ts'

/** What the edits need of their owner besides the log's state. */
export interface LogEditsOwner {
  readonly entityId: string
  readonly activation: string
  readonly env: OwnerEnv
  readonly feed: ReplicaFeed
  /** How long an edit waits for W replicas before it fails (the log goes on). */
  readonly timeoutMs: number
  /** How long an edit W replicas took waits for the rest of the set (EDIT_EVERY_REPLICA_MS). */
  readonly everyReplicaMs: number
  /** The log stops for good (a newer owner took the entity). */
  fail (err: Error): void
}

/**
 * An owner's rewrites and trims of its log (docs/replication.md, "Rewrites and trims"): sent to
 * every replica of the set, resolved once every replica up whose log equals the owner's there holds
 * them (W at least, the others waited for a little: #atQuorum).
 * One edit at a time, in call order (two rewrites of one record must reach the replicas with
 * revisions in that order). Replicas that miss one get it from the owner's feed (a trim) or from
 * anti-entropy (a rewrite: the higher revision wins there).
 */
export class LogEdits {
  readonly #s: LogState
  readonly #o: LogEditsOwner
  #queue: Promise<void> = Promise.resolve()
  #pending = 0
  /** The latest revision this owner sent of each record it rewrote, acknowledged or not: one that
   * failed may have reached a replica, so its number is never used again for other events. */
  readonly #issued = new Map<number, number>()
  /** A rewrite failed: revisions of this epoch may sit unacknowledged on replicas (see busy). */
  #failed = false
  /** The last generation this owner gave a rewrite (log-summary.ts, Generation). */
  #gen = 0

  constructor (state: LogState, owner: LogEditsOwner) {
    this.#s = state
    this.#o = owner
  }

  /** Replaces acknowledged records (seq in [floor, committed]) with these events, each at the next
   * revision of its record, same seq and epoch. */
  rewrite (records: ReadonlyArray<{ seq: number, event: unknown }>): Promise<void> {
    return this.#inTurn(async () => {
      const s = this.#s
      const sorted = [...new Map(records.map((r) => [r.seq, r])).values()].sort((a, b) => a.seq - b.seq)
      for (const r of sorted) {
        if (!Number.isSafeInteger(r.seq) || r.seq < s.floor || r.seq > s.committed) {
          throw new RangeError(`${this.#o.entityId}: a rewrite's seq must be acknowledged and not trimmed (${s.floor} to ${s.committed}), got ${r.seq}`)
        }
      }
      for (let i = 0; i < sorted.length; i += APPEND_BATCH_RECORDS) await this.#rewriteBatch(sorted.slice(i, i + APPEND_BATCH_RECORDS))
    })
  }

  async #rewriteBatch (batch: ReadonlyArray<{ seq: number, event: unknown }>): Promise<void> {
    const s = this.#s
    // each record's epoch and revision as the log holds it (the tail, or a replica in step that
    // holds this owner's latest revisions)
    const held = await Promise.all(batch.map(async (r) => {
      const [rec] = await this.#o.feed.fetch(r.seq, 1)
      if (rec?.seq !== r.seq) throw new ReplicasUnavailableError(this.#o.entityId, `reading seq ${r.seq} to rewrite it`, 1, 0)
      return rec
    }))
    const out: StoredRecord[] = batch.map((r, i) => {
      const old = held[i] as StoredRecord
      // (revisions are ordered by the epoch of the owner that made them first: this owner's are
      // later than any an older owner made, even one that reached a replica unacknowledged)
      const mine = (old.revEpoch ?? old.epoch) === s.epoch ? old.rev ?? 0 : 0
      const rev = Math.max(mine, s.revs.get(r.seq) ?? 0, this.#issued.get(r.seq) ?? 0) + 1
      this.#issued.set(r.seq, rev)
      return { seq: r.seq, epoch: old.epoch, event: r.event, rev, revEpoch: s.epoch }
    })
    const top = (out[out.length - 1] as StoredRecord).seq
    // (a generation is never given twice by this owner, one that failed included: a replica it
    // reached holds that one's records, not a later rewrite's of the same number)
    const gen = Math.max(s.revised, this.#gen) + 1
    this.#gen = gen
    const prev = { prevGen: s.revised, prevGenEpoch: s.revisedEpoch }
    try {
      await this.#atQuorum('a rewrite', top, () => ({ op: 'rewrite', entity: this.#o.entityId, epoch: s.epoch, activation: this.#o.activation, records: out, gen, ...prev }))
    } catch (err) {
      this.#failed = true
      throw err
    }
    // from now on, reads go only to replicas that hold it (the tail, and the replicas that took it)
    s.revised = gen
    s.revisedEpoch = s.epoch
    for (const r of out) {
      s.revs.set(r.seq, r.rev as number)
      // the owner's copy in memory follows (reads and the feed serve from it)
      if (r.seq >= s.tailStart && r.seq <= s.head) s.tail[r.seq - s.tailStart] = r
    }
  }

  /** Drops every record below `before` (2 to committed + 1) on the replicas, once each holds
   * `snapshot` (seq ≥ before − 1, acknowledged) or a newer one; raises the floor. */
  trim (before: number, snapshot: StoredSnapshot): Promise<void> {
    return this.#inTurn(async () => {
      const s = this.#s
      if (!Number.isSafeInteger(before) || before > s.committed + 1) throw new RangeError(`${this.#o.entityId}: a trim must keep what is not acknowledged (before ≤ ${s.committed + 1}), got ${before}`)
      if (before <= s.floor) return
      if (snapshot.seq < before - 1 || snapshot.seq > s.committed) throw new RangeError(`${this.#o.entityId}: a trim's snapshot must cover ${before - 1} and be acknowledged, got seq ${snapshot.seq}`)
      let prevEpoch = s.epochOf(before - 1)
      if (prevEpoch === undefined) {
        const [rec] = await this.#o.feed.fetch(before - 1, 1)
        prevEpoch = rec?.seq === before - 1 ? rec.epoch : undefined
      }
      if (prevEpoch === undefined) throw new ReplicasUnavailableError(this.#o.entityId, `reading seq ${before - 1} to trim`, 1, 0)
      const epoch = prevEpoch
      await this.#atQuorum('a trim', before - 1, () => ({ op: 'trim', entity: this.#o.entityId, epoch: s.epoch, activation: this.#o.activation, before, prevEpoch: epoch, snapshot }))
      if (before > s.floor) {
        s.floor = before
        s.floorEpoch = epoch
        s.floorSnapshot = snapshot
      }
      // (the owner's copy in memory keeps nothing below the floor)
      if (s.tailStart < before) {
        const drop = Math.min(s.tail.length, before - s.tailStart)
        s.tail.splice(0, drop)
        s.tailStart += drop
      }
    })
  }

  /** Edits asked for and not settled, or a rewrite that failed: a log with any does not hand over
   * (EntityLog.handOver), since the next owner, in the same epoch, could make another revision of
   * the same number (it fences instead: its revisions are then of a newer epoch). */
  get busy (): boolean { return this.#pending > 0 || this.#failed }

  /** Runs edits one at a time; each fails apart (the next runs all the same). */
  #inTurn (edit: () => Promise<void>): Promise<void> {
    const s = this.#s
    if (s.failure !== undefined) return Promise.reject(s.failure)
    if (s.closed || s.handedOver) return Promise.reject(new EntityLogClosedError(this.#o.entityId))
    this.#pending++
    const run = this.#queue.then(edit).finally(() => { this.#pending-- })
    this.#queue = run.catch(noop)
    return run
  }

  /**
   * Sends the request to every replica of the set, again to those that did not take it (not
   * answering, or their logs not yet equal to the owner's up to `upTo`: the feed brings them), until
   * every replica of the set not broken nor known to be down took it, or W did and
   * `everyReplicaMs` passed since;
   * fewer than W when the time is up fails it (ReplicasUnavailableError; the log goes on). A newer
   * owner found fails the log (StaleEpochError).
   */
  async #atQuorum (what: string, upTo: number, request: () => ReplicaRequest): Promise<void> {
    const s = this.#s
    const { env, entityId } = this.#o
    const took = new Set<string>()
    const deadline = env.now() + this.#o.timeoutMs
    let backoff = RETRY_MIN_MS
    /** When W replicas had taken it. */
    let quorumAt: number | undefined
    for (;;) {
      if (s.failure !== undefined) throw s.failure
      if (s.closed) throw new EntityLogClosedError(entityId)
      const asked = s.tracks.filter((t) => !t.broken && !took.has(t.node))
      const answered = Promise.allSettled(asked.map(async (t: ReplicaTrack) => {
        const inStep = t.match >= upTo
        const reply = await env.call(t.node, request()) as { result: string, promised?: number, summary?: LogSummary, whole?: boolean }
        if (reply.result === 'stale') {
          this.#o.fail(new StaleEpochError(entityId, s.epoch, reply.promised ?? 0))
          return
        }
        if (reply.summary !== undefined) t.summary = reply.summary
        // (a rewrite counts where the replica holds every record of it: one whose copy was lost is
        // not counted, whatever its log's standing)
        if (reply.result === 'ok' && inStep && reply.whole !== false) took.add(t.node)
      }))
      if (quorumAt === undefined) {
        await answered
      } else {
        // past W, a replica that does not answer (cut off without a word) is not waited for
        // beyond the grace: its ask would hold the edit up to REPLICA_ASK_MS each time
        const left = Math.max(0, quorumAt + this.#o.everyReplicaMs - env.now())
        let cancel: (() => void) | undefined
        await Promise.race([answered, new Promise<void>((resolve) => { cancel = env.timer(left, resolve) })])
        cancel?.()
      }
      if (s.failure !== undefined) throw s.failure
      if (took.size >= s.writeQuorum) {
        // W is what the edit needs; the others of the set are waited for a little longer (the feed
        // brings a lagging one in step), so that a redaction's text is gone from every replica that
        // is up, not only from W, when the edit resolves (an erasure compacts every store next)
        // (a replica membership knows to be down is not waited for: it gets the edit by anti-entropy)
        if (!s.tracks.some((t) => !t.broken && !took.has(t.node) && env.live?.(t.node) !== false)) return
        quorumAt ??= env.now()
        if (env.now() >= Math.min(deadline, quorumAt + this.#o.everyReplicaMs)) return
      } else if (env.now() >= deadline) {
        throw new ReplicasUnavailableError(entityId, what, s.writeQuorum, took.size, 'no answer in time')
      }
      await new Promise<void>((resolve) => { env.timer(backoff * (0.5 + env.random()), resolve) })
      backoff = Math.min(RETRY_MAX_MS, backoff * 2)
    }
  }
}

function noop (): void {}
