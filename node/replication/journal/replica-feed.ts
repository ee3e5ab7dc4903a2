import { describe, kindOf } from '../../../protocols/index.ts'
import { APPEND_BATCH_RECORDS, RETRY_MAX_MS, RETRY_MIN_MS } from '../constants.ts'
import { ReplicasUnavailableError, StaleEpochError } from '../errors.ts'
import { laterRevision } from '../replica/replica-protocol.ts'
import type { AppendReply, ReplicaRequest, StoredRecord, StoredSnapshot } from '../replica/replica-protocol.ts'
import { EMPTY_SUMMARY, floorOf, genAfter, matchPoint, revisedOf } from './log-summary.ts'
import type { LogState, ReplicaTrack } from './log-state.ts'
import type { OwnerEnv, OwnerLog } from './owner-env.ts'

/** What a feed needs of its owner besides the log's state. */
export interface ReplicaFeedOwner {
  readonly entityId: string
  /** Names this activation (a replica takes its appends in the epoch it promised to it). */
  readonly activation: string
  /** This node: a read goes to its replica first; its failures are judged apart. */
  readonly self?: string
  /** Whether appends carry the lease's holder (the owner holds leases). */
  readonly leased: boolean
  readonly log?: OwnerLog
  readonly env: OwnerEnv
  readonly clock: () => number
  /** A replica took records: commitment may move. */
  advance (): void
  /** The log stops for good (a newer owner, too few replicas left). */
  fail (err: Error): void
}

/**
 * Feeds the owner's log to its replicas (docs/replication.md, step 4): each replica by its own
 * pump, one request in flight at a time, so a slow or absent replica holds no one back and what
 * queues meanwhile goes in one request. A pump finds where the replica's log parts from the
 * owner's, sends the rest in batches, and backs off a replica that does not answer.
 */
export class ReplicaFeed {
  readonly #s: LogState
  readonly #o: ReplicaFeedOwner
  /** Replicas that refused a truncate (an older version): not asked again by this owner. */
  readonly #noTruncate = new Set<string>()
  /** The trace of the latest write that pumped a replica: its next rounds (which carry its
   * records) go out in it, until the replica holds the head (OwnerEnv.trace). */
  readonly #nextTrace = new WeakMap<ReplicaTrack, unknown>()

  constructor (state: LogState, owner: ReplicaFeedOwner) {
    this.#s = state
    this.#o = owner
  }

  pump (t: ReplicaTrack): void {
    const s = this.#s
    const trace = this.#o.env.trace
    if (trace !== undefined) {
      // the write that pumps now is what the next rounds carry (a round in flight, or a summary
      // first, may come before its records go out)
      const ctx = trace.capture()
      if (ctx !== undefined) this.#nextTrace.set(t, ctx)
      else if (!t.busy && !t.waiting) this.#nextTrace.delete(t)
    }
    if (t.busy || t.waiting || t.broken || s.closed || s.failure !== undefined) return
    if (t.match >= s.head && !this.#floorDue(t) && !this.#truncateDue(t)) return
    t.busy = true
    ;(this.#stepAppend(t) ?? this.#step(t)).then((progress) => {
      t.busy = false
      if (progress) {
        t.backoff = RETRY_MIN_MS
        this.#pumpLater(t)
      }
    }, (err: unknown) => {
      t.busy = false
      this.#failed(t, err)
    })
  }

  #failed (t: ReplicaTrack, err: unknown): void {
    const s = this.#s
    const { entityId, env } = this.#o
    // a replica refusing or failing in itself (its disk), not timing out or unreachable, will
    // fail again: that replica is out for this activation; so is this node's own replica when
    // it is unavailable (its store is closed: the node is stopping). A slow one, this node's
    // own included, is tried again
    const kind = kindOf(err)
    if ((kind !== 'unavailable' && kind !== 'timeout') || (t.node === this.#o.self && kind !== 'timeout')) {
      this.#o.log?.debug({ entity: entityId, replica: t.node, err }, `${entityId}: replica ${t.node} is out for this owner (${describe(err)})`)
      t.broken = true
      if (s.tracks.filter((x) => !x.broken).length < s.writeQuorum) this.#o.fail(err instanceof Error ? err : new Error(String(err)))
      return
    }
    // the replica did not answer: try again later, from where it was
    t.waiting = true
    const delay = t.backoff * (0.5 + env.random())
    t.backoff = Math.min(RETRY_MAX_MS, t.backoff * 2)
    this.#o.log?.debug({ entity: entityId, replica: t.node, retryInMs: Math.round(delay), head: s.head, committed: s.committed },
      `${entityId}: replica ${t.node} did not answer (${describe(err)}); asked again in ${Math.round(delay)} ms`)
    env.timer(delay, () => {
      t.waiting = false
      this.#pumpLater(t)
    })
  }

  /** A round after the first: in the trace of the latest write that waited for it, or in none. */
  #pumpLater (t: ReplicaTrack): void {
    const trace = this.#o.env.trace
    if (trace === undefined) {
      this.pump(t)
      return
    }
    // (kept until an append brings the replica up to the head: a round between, a summary say,
    // carries none of the records)
    trace.within(this.#nextTrace.get(t), () => { this.pump(t) })
  }

  /** One request to one replica; true when it moved (the caller pumps again). */
  async #step (t: ReplicaTrack): Promise<boolean> {
    const s = this.#s
    const entity = this.#o.entityId
    if (t.match < 0) {
      const summary = await this.#o.env.call(t.node, { op: 'summary', entity })
      t.summary = summary
      t.match = matchPoint(s.ownLog(), summary)
      // (it may hold the log already: a log trimmed whole has nothing to send it, seed 500006648)
      this.#o.advance()
      return true
    }
    // a replica whose log ends below the floor cannot be fed records (they are trimmed): it takes
    // the floor first, with a snapshot covering it, and the owner's log up to it (a trim)
    if (t.match + 1 < s.floor) return await this.#trimUp(t)
    if (this.#floorDue(t)) {
      // a replica whose log reaches the floor and whose own floor is lower (it missed the trim, or
      // the floor came from another holder at recovery) is sent it once; where that fails,
      // anti-entropy brings it
      s.floorSent.add(t.node)
      await this.#trimUp(t).catch(noop)
      return true
    }
    // a replica whose log goes on past this owner's head, with nothing more to send it: the rest is
    // not this owner's (seed 900009823: a tail an older owner wrote there alone, below both floors
    // the logs agreeing)
    if (this.#truncateDue(t)) return await this.#truncate(t)
    const from = t.match + 1
    let prevEpoch = t.match === 0 ? 0 : s.epochOf(t.match)
    if (prevEpoch === undefined) {
      // older than what the owner keeps of its log: the record itself says
      const [prev] = await this.fetch(t.match, 1, t.node)
      if (prev?.seq !== t.match) throw new Error(`${entity}: no record ${t.match} from a replica in step`)
      prevEpoch = prev.epoch
    }
    const records = from >= s.tailStart
      ? s.tail.slice(from - s.tailStart, from - s.tailStart + APPEND_BATCH_RECORDS)
      : await this.fetch(from, Math.min(APPEND_BATCH_RECORDS, s.tailStart - from), t.node)
    return await this.#append(t, prevEpoch, records)
  }

  /** The usual step, an append of the records after the replica's match from the owner's tail,
   * taken without #step's turns (every append of every owner comes here). */
  #stepAppend (t: ReplicaTrack): Promise<boolean> | undefined {
    const s = this.#s
    if (t.match < 0 || t.match + 1 < s.floor || this.#floorDue(t) || this.#truncateDue(t) || t.match + 1 < s.tailStart) return undefined
    const prevEpoch = t.match === 0 ? 0 : s.epochOf(t.match)
    if (prevEpoch === undefined) return undefined
    const from = t.match + 1 - s.tailStart
    return this.#append(t, prevEpoch, s.tail.slice(from, from + APPEND_BATCH_RECORDS))
  }

  async #append (t: ReplicaTrack, prevEpoch: number, records: readonly StoredRecord[]): Promise<boolean> {
    if (records.length === 0) return false
    const s = this.#s
    const entity = this.#o.entityId
    // an append taken renews this owner's lease there (not after a hand-over: it serves no more)
    const leased = this.#o.leased && !s.handedOver
    const sent = this.#o.clock()
    const request: Extract<ReplicaRequest, { op: 'append' }> = leased
      ? { op: 'append', entity, epoch: s.epoch, activation: this.#o.activation, prevSeq: t.match, prevEpoch, records, holder: s.holder }
      : { op: 'append', entity, epoch: s.epoch, activation: this.#o.activation, prevSeq: t.match, prevEpoch, records }
    const reply: AppendReply = await this.#o.env.call(t.node, request)
    switch (reply.result) {
      case 'ok': {
        if (leased) t.granted = Math.max(t.granted, sent)
        t.summary = reply.summary
        t.match = Math.max(t.match, (records[records.length - 1] as StoredRecord).seq)
        if (t.match >= s.head) this.#nextTrace.delete(t)
        this.#o.advance()
        return true
      }
      case 'mismatch': {
        t.summary = reply.summary
        const m = matchPoint(s.ownLog(), reply.summary)
        // no progress by the summaries (the replica is further back than they show): from seq 1
        t.match = m < t.match ? m : 0
        return true
      }
      case 'stale':
        this.#o.fail(new StaleEpochError(entity, s.epoch, reply.promised))
        return false
    }
  }

  /** Whether a replica holding this owner's log whole holds more past its head (see #step). */
  #truncateDue (t: ReplicaTrack): boolean {
    const s = this.#s
    return t.summary !== undefined && t.match >= s.head && t.summary.head > s.head && !s.handedOver && !this.#noTruncate.has(t.node)
  }

  /** Tells a replica to drop what it holds past this owner's head; true (the caller pumps again). */
  async #truncate (t: ReplicaTrack): Promise<boolean> {
    const s = this.#s
    const entity = this.#o.entityId
    let afterEpoch = s.head === 0 ? 0 : s.epochOf(s.head)
    if (afterEpoch === undefined) {
      const [last] = await this.fetch(s.head, 1, t.node)
      if (last?.seq !== s.head) throw new Error(`${entity}: no record ${s.head} from a replica in step`)
      afterEpoch = last.epoch
    }
    let reply: AppendReply
    try {
      reply = await this.#o.env.call(t.node, { op: 'truncate', entity, epoch: s.epoch, activation: this.#o.activation, after: s.head, afterEpoch })
    } catch (err) {
      const kind = kindOf(err)
      if (kind === 'unavailable' || kind === 'timeout') throw err
      // (a node of an older version knows no truncate: it keeps the tail until the next append, as
      // before; it is not out for this owner for that)
      this.#noTruncate.add(t.node)
      return false
    }
    switch (reply.result) {
      case 'ok':
        t.summary = reply.summary
        return true
      case 'mismatch':
        t.summary = reply.summary
        t.match = Math.min(t.match, matchPoint(s.ownLog(), reply.summary))
        // (it parts from this log at or below the head: fed from there as ever; never asked again)
        if (t.match >= s.head) throw new Error(`${entity}: ${t.node} parts from this log at seq ${s.head} and its summary says it does not`)
        return true
      case 'stale':
        this.#o.fail(new StaleEpochError(entity, s.epoch, reply.promised))
        return false
    }
  }

  /** Whether the floor is to be sent to a replica whose log reaches it (see #step). */
  #floorDue (t: ReplicaTrack): boolean {
    const s = this.#s
    return s.floor > 1 && t.summary !== undefined && t.match + 1 >= s.floor && floorOf(t.summary) < s.floor && !s.floorSent.has(t.node)
  }

  /** Brings a replica whose log ends below the floor up to it (docs/replication.md, "Rewrites and
   * trims"); true when it moved. */
  async #trimUp (t: ReplicaTrack): Promise<boolean> {
    const s = this.#s
    const entity = this.#o.entityId
    const snapshot = await this.floorSnapshot()
    if (s.floorEpoch === undefined || snapshot === undefined) {
      throw new ReplicasUnavailableError(entity, `bringing ${t.node} up to the floor ${s.floor}`, 1, 0, 'no snapshot covering it, or the epoch before it, is known')
    }
    const reply = await this.#o.env.call(t.node, { op: 'trim', entity, epoch: s.epoch, activation: this.#o.activation, before: s.floor, prevEpoch: s.floorEpoch, snapshot })
    if (reply.result === 'stale') {
      this.#o.fail(new StaleEpochError(entity, s.epoch, reply.promised))
      return false
    }
    t.summary = reply.summary
    const m = matchPoint(s.ownLog(), reply.summary)
    if (m + 1 < s.floor) throw new ReplicasUnavailableError(entity, `bringing ${t.node} up to the floor ${s.floor}`, 1, 0, `it did not take it (${reply.result})`)
    t.match = m
    this.#o.advance()
    return true
  }

  /** A snapshot covering the floor: the one this owner trimmed with, or one a replica holds. */
  async floorSnapshot (): Promise<StoredSnapshot | undefined> {
    const s = this.#s
    if (s.floorSnapshot !== undefined && s.floorSnapshot.seq >= s.floor - 1) return s.floorSnapshot
    const holders = [...s.tracks, ...s.sources].filter((t) => (t.summary?.snapshotSeq ?? 0) >= s.floor - 1)
    for (const h of holders) {
      try {
        const snap = await this.#o.env.call(h.node, { op: 'load-snapshot', entity: this.#o.entityId })
        if (snap !== null && snap.seq >= s.floor - 1 && snap.seq <= s.head) {
          s.floorSnapshot = snap
          return snap
        }
      } catch {
        // the next holder
      }
    }
    return undefined
  }

  /** Records of the owner's log from seq on (at most limit): from the tail, or from a replica that
   * holds them in step (this node's own first). A replica whose copy of a record this owner
   * rewrote is older (it missed the rewrite) is passed over. */
  async fetch (seq: number, limit: number, not?: string): Promise<StoredRecord[]> {
    const s = this.#s
    if (seq >= s.tailStart) return s.tail.slice(seq - s.tailStart, seq - s.tailStart + limit)
    const end = Math.min(seq + limit - 1, s.tailStart - 1)
    const self = this.#o.self
    // (for a read, a replica that does not hold the latest rewrite known is passed over:
    // LogSummary.revised; a replica being fed may take an older revision, anti-entropy brings it)
    const sources = [...s.tracks, ...s.sources].filter((t) => t.node !== not && t.match >= end && (not !== undefined || s.revised === 0 || genAfter(revisedOf(t.summary ?? EMPTY_SUMMARY), { epoch: s.revisedEpoch, gen: s.revised }, true)))
      .sort((a, b) => (a.node === self ? -1 : b.node === self ? 1 : 0))
    let lastErr: unknown
    for (const r of sources) {
      try {
        const page = await this.#o.env.call(r.node, { op: 'read', entity: this.#o.entityId, from: seq, limit: end - seq + 1 })
        if (page.length > 0 && page[0]?.seq === seq && (s.revs.size === 0 || page.every((x) => (x.revEpoch ?? x.epoch) === s.epoch ? (x.rev ?? 0) >= (s.revs.get(x.seq) ?? 0) : !s.revs.has(x.seq)))) return page
      } catch (err) {
        lastErr = err
      }
    }
    if (not === undefined && s.revised > 0) {
      const merged = await this.#mergedRead(seq, end)
      if (merged !== undefined) return merged
    }
    // the last replica's own error when there was one (a corrupt record reads as CorruptRecordError)
    if (lastErr !== undefined) throw lastErr
    throw new ReplicasUnavailableError(this.#o.entityId, `reading seq ${seq}`, 1, 0, 'no replica in step holds it')
  }

  /** A read where no replica in step is known to hold the latest rewrite: every replica in step is
   * asked, and each record taken at its latest revision among them; undefined unless every replica
   * of the set answered (a rewrite acknowledged on W of them may be on one alone after W − 1 were
   * lost, replaced by replicas that caught up from the others). */
  async #mergedRead (seq: number, end: number): Promise<StoredRecord[] | undefined> {
    const s = this.#s
    const inStep = [...s.tracks, ...s.sources].filter((t) => t.match >= end)
    const read = async (node: string): Promise<StoredRecord[]> => await this.#o.env.call(node, { op: 'read', entity: this.#o.entityId, from: seq, limit: end - seq + 1 })
    const answers = await Promise.allSettled(inStep.map(async (t) => ({ node: t.node, page: await read(t.node) })))
    const pages = answers.flatMap((a) => a.status === 'fulfilled' && a.value.page[0]?.seq === seq ? [a.value] : [])
    if (pages.filter((p) => s.tracks.some((t) => t.node === p.node)).length < s.tracks.length) return undefined
    const length = Math.min(...pages.map((p) => p.page.length))
    return Array.from({ length }, (_, i) => pages.map((p) => p.page[i] as StoredRecord).reduce((a, b) => laterRevision(b, a) ? b : a))
  }
}

function noop (): void {}
