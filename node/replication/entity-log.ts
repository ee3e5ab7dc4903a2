import {
  APPEND_BATCH_RECORDS, DEFAULT_APPEND_TIMEOUT_MS, DEFAULT_LEASE_MS, FENCE_ATTEMPTS, HANDOVER_RECORDS, FENCE_BACKOFF_MAX_MS, FENCE_BACKOFF_MIN_MS, FENCE_CALL_TRIES,
  LEASE_CONTENTION_JITTER, LEASE_WAITS, OWNER_TAIL_RECORDS, READ_PAGE_RECORDS, RETRY_MAX_MS, RETRY_MIN_MS
} from './constants.ts'
import { EntityLogClosedError, FenceContendedError, ReplicasUnavailableError, StaleEpochError } from './errors.ts'
import { EntityLeaseHeldError, TakeAbandonedError } from './lease-errors.ts'
import { compareLogs, epochAt, matchPoint, withRecords } from './log-summary.ts'
import type { LogSummary, Segment } from './log-summary.ts'
import type { LogTicket } from './log-ticket.ts'
import type { AppendReply, FenceReply, ReplicaRequest, ReplyOf, StoredRecord, StoredSnapshot } from './replica-protocol.ts'
import { fenceQuorum } from './quorum.ts'
import { describe, kindOf } from '../../protocols/index.ts'

/** A logger's debug level (pino's suits). */
export interface OwnerLog {
  debug (obj: Record<string, unknown>, msg: string): void
}

/** How an owner reaches the replicas, and the time and chance it runs on (the node's, or the
 * simulation's). */
export interface OwnerEnv {
  /** Sends a request to the replica on `node`; rejects when it cannot be reached or does not answer
   * in time (the link's own timeout). */
  call<R extends ReplicaRequest> (node: string, request: R): Promise<ReplyOf<R>>
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  timer (ms: number, fn: () => void): () => void
  /** In [0, 1). */
  random (): number
  /** ms; only its differences and its rough agreement between nodes matter (see #firstEpoch). */
  now (): number
  /** A monotonic clock in ms (leases are measured on it: docs/replication.md, "Leases"). @default now */
  clock? (): number
  /** Whether a node is worth asking again (not known to be down). @default every node is */
  live? (node: string): boolean
}

export interface EntityLogOptions {
  readonly entityId: string
  /** The nodes holding the entity's partition, R of them. */
  readonly replicas: readonly string[]
  /**
   * Other storage nodes that may hold the entity's journal from a replica set of before the
   * roster grew (a storage node joined, so the partition's R changed): fenced with the replicas
   * and read from, never written to nor counted in a quorum (docs/replication.md, "Roster
   * changes"). Each is waited for until it answers or fails.
   */
  readonly formerHolders?: readonly string[]
  /**
   * Storage nodes that may hold the entity's journal (as former holders may) but are not asked:
   * known to be down. Each counts as one that did not answer: with other holders possible, a
   * journal is taken only when fewer than W of them all went unread (see open).
   */
  readonly absentHolders?: number
  readonly writeQuorum: number
  /** What the owner says at debug level: a fence round that did not take the entity, a replica
   * that did not take an append (what a slow recovery or write waited for). */
  readonly log?: OwnerLog
  /** Names this activation uniquely (a fence asked again by it is answered yes). */
  readonly activation: string
  /** This node: reads go to its replica when it is one. */
  readonly self?: string
  readonly env: OwnerEnv
  /** @default DEFAULT_APPEND_TIMEOUT_MS */
  readonly appendTimeoutMs?: number
  /** Called once when the log stops for good (a newer owner fenced it, or a write timed out): the
   * entity must stop serving. */
  readonly onFailed?: (err: Error) => void
  /**
   * The owner's lease (docs/replication.md, "Leases"): reads are served from what this owner holds
   * only while W replicas are known to refuse any newer fence, else the epoch is confirmed by a
   * quorum first. Undefined: no leases (a node alone, whose replicas are in its own process).
   */
  readonly lease?: LeaseOptions
  /**
   * Aborted when the activation no longer wants the entity (placement moved it to another node
   * while this one was taking it): the take stops before its next fence round, and in its waits,
   * with TakeAbandonedError (the leases its last round's promises granted are let go, as after
   * any round that did not take it). Once the entity is taken, it has no effect.
   */
  readonly signal?: AbortSignal
}

export interface LeaseOptions {
  /** How long a replica's grant holds on its own clock (config `lease-ms`). */
  readonly ms: number
  /** The assumed bound on how much two clocks may disagree about a duration, as a fraction
   * (config `max-clock-drift`): the owner counts its lease as lasting ms * (1 - maxDrift). */
  readonly maxDrift: number
}

/** An owner's view of one replica. */
interface Track {
  readonly node: string
  /** The highest seq where the replica's log is known to equal the owner's; -1: not known yet. */
  match: number
  summary: LogSummary | undefined
  busy: boolean
  /** The replica failed in a way that waiting does not mend (its disk, a refusal): not fed again
   * by this activation. */
  broken: boolean
  /** A retry is scheduled (the replica did not answer). */
  waiting: boolean
  backoff: number
  /** When the latest request that this replica took for this owner's lease was sent, on the
   * owner's clock (-Infinity: none). */
  granted: number
}

interface Waiter {
  readonly seq: number
  resolve (): void
  reject (err: Error): void
  /** env.now() after which it fails. */
  readonly deadline: number
}

/** How a log starts: recovered by a fence round, or resumed from a hand-over. */
interface LogInit {
  readonly epoch: number
  readonly head: number
  readonly segments: Segment[]
  readonly tail: StoredRecord[]
  readonly tailStart: number
  readonly sealed: number
  readonly committed: number
  readonly tracks: Track[]
  readonly sources: Track[]
  readonly snapshotHolders: Array<{ node: string, seq: number }>
  /** Names this log's lease at the replicas: the activation, or the activation and a suffix for a
   * log resumed from a hand-over. */
  readonly holder: string
  /** Reads wait until this seq is acknowledged (a resumed log's head: writes the previous owner had
   * in flight may have been acknowledged to their writers there). */
  readonly readFloor: number
}

/**
 * The owner's side of one entity's replicated journal, for one activation (docs/replication.md):
 * `open` fences an epoch with F replicas, recovers the best log among them and seals it in the new
 * epoch on W replicas; `append` resolves once W replicas hold the records. Each replica is fed by
 * its own pump, one request in flight at a time, so a slow or absent replica holds no one back and
 * what queues meanwhile goes in one request.
 */
export class EntityLog {
  readonly entityId: string
  readonly epoch: number
  /** W: replicas that must hold a record before it is acknowledged (changes with reconfigure). */
  writeQuorum: number
  readonly #opts: EntityLogOptions
  readonly #env: OwnerEnv
  /** The replicas written to, each with its pump. */
  #tracks: Track[]
  /** Former holders that answered the fence, and replicas dropped by reconfigure: sources of
   * records for the replicas, never written to. */
  #sources: Track[]
  /** Replicas holding a snapshot not past the recovered head, the newest first. */
  readonly #snapshotHolders: Array<{ node: string, seq: number }>
  /** The owner's log: its head, its segments (newest), and its newest records in memory. */
  #head: number
  #segments: Segment[]
  #tail: StoredRecord[]
  #tailStart: number
  #committed: number
  /** The seq sealed in this epoch by recovery: commitment counts only from it on. */
  readonly #sealed: number
  #waiters: Waiter[] = []
  #deadlineTimer: (() => void) | undefined
  #failure: Error | undefined
  #closed = false
  /** Handed over (handOver): no more appends; the records in flight are still fed to the replicas
   * until W hold them (their writers are told), then the log closes by itself. */
  #handedOver = false
  readonly #holder: string
  readonly #readFloor: number
  readonly #clock: () => number
  /** When the entity last read or wrote (the lease is kept warm only for one in use). */
  #lastUse = -Infinity
  /** The lease round in flight, and when it began (this owner's clock). */
  #renewing: { done: Promise<void>, readonly startedAt: number } | undefined
  #renewTimer: (() => void) | undefined
  #released = false

  private constructor (opts: EntityLogOptions, init: LogInit) {
    this.#opts = opts
    this.#env = opts.env
    this.entityId = opts.entityId
    this.epoch = init.epoch
    this.writeQuorum = opts.writeQuorum
    this.#head = init.head
    this.#segments = init.segments
    this.#tail = init.tail
    this.#tailStart = init.tailStart
    this.#sealed = init.sealed
    this.#committed = init.committed
    this.#tracks = init.tracks
    this.#sources = init.sources
    this.#snapshotHolders = init.snapshotHolders
    this.#holder = init.holder
    this.#readFloor = init.readFloor
    this.#clock = opts.env.clock ?? opts.env.now
  }

  /** A log recovered by a fence round: the best log's last record sealed in this epoch (step 3). */
  static #recovered (opts: EntityLogOptions, epoch: number, fenced: ReadonlyMap<string, LogSummary>, former: ReadonlyMap<string, LogSummary>, best: { node: string, summary: LogSummary }, last: StoredRecord | undefined, sentAt: ReadonlyMap<string, number>): EntityLog {
    const b = best.summary
    let segments: Segment[] = [...b.segments]
    let tail: StoredRecord[] = []
    let tailStart = b.head + 1
    if (last !== undefined) {
      // the best log's last record, sealed in this epoch (step 3)
      segments = withRecords(segments, last.seq, [epoch])
      tail = [{ seq: last.seq, epoch, event: last.event }]
      tailStart = last.seq
    }
    const own = { segments, head: b.head }
    return new EntityLog(opts, {
      epoch,
      head: b.head,
      segments,
      tail,
      tailStart,
      sealed: b.head,
      committed: 0,
      tracks: opts.replicas.map((node) => {
        const summary = fenced.get(node)
        // a promise is a grant of the lease, from when the fence was sent
        return { node, summary, match: summary === undefined ? -1 : matchPoint(own, summary), busy: false, broken: false, waiting: false, backoff: RETRY_MIN_MS, granted: sentAt.get(node) ?? -Infinity }
      }),
      sources: [...former].map(([node, summary]) => ({ node, summary, match: matchPoint(own, summary), busy: false, broken: true, waiting: false, backoff: RETRY_MIN_MS, granted: -Infinity })),
      snapshotHolders: [...fenced, ...former].filter(([, s]) => s.snapshotSeq > 0 && s.snapshotSeq <= b.head)
        .map(([node, s]) => ({ node, seq: s.snapshotSeq })).sort((x, y) => y.seq - x.seq),
      holder: opts.activation,
      readFloor: b.head
    })
  }

  /**
   * Goes on from the log an activation on another node handed over as the entity moved live
   * (handOver; docs/replication.md, "Hand-over"): the same epoch and activation, the same head and
   * commitment, no fence, no recovery; the records the old owner had in flight are fed on from here
   * too. Undefined when the ticket does not fit this owner's view:
   * another entity, or another replica set or write quorum (a roster change between the two views:
   * the caller then opens the log, which fences). The caller makes sure a ticket is used once.
   */
  static resume (opts: Omit<EntityLogOptions, 'activation' | 'formerHolders'>, ticket: LogTicket): EntityLog | undefined {
    if (ticket.entity !== opts.entityId || ticket.writeQuorum !== opts.writeQuorum || ticket.replicas.length !== opts.replicas.length ||
      !opts.replicas.every((node) => ticket.replicas.some((r) => r.node === node))) return undefined
    const track = (r: { readonly node: string, readonly match: number }, broken: boolean): Track =>
      ({ node: r.node, summary: undefined, match: r.match, busy: false, broken, waiting: false, backoff: RETRY_MIN_MS, granted: -Infinity })
    const log = new EntityLog({ ...opts, activation: ticket.activation }, {
      epoch: ticket.epoch,
      head: ticket.head,
      segments: [...ticket.segments],
      tail: ticket.tail.map((r) => ({ seq: r.seq, epoch: r.epoch, event: r.event })),
      tailStart: ticket.committed + 1,
      sealed: ticket.sealed,
      committed: ticket.committed,
      tracks: opts.replicas.map((node) => track(ticket.replicas.find((r) => r.node === node) as LogTicket['replicas'][number], false)),
      sources: ticket.sources.filter((s) => !opts.replicas.includes(s.node)).map((s) => track(s, true)),
      // the new owner has the state handed over: it never loads a snapshot back
      snapshotHolders: [],
      // its own lease (the old owner lets go of its): granted by its first append or confirmation
      holder: `${ticket.activation}~${Math.floor(opts.env.random() * 2 ** 52).toString(36)}`,
      readFloor: ticket.head
    })
    // what the old owner had in flight reaches the replicas from here too (the same records: a
    // replica keeps one copy), and commitment follows
    if (log.#committed < log.#head) for (const t of log.#tracks) log.#pump(t)
    return log
  }

  /**
   * Takes the entity for a new activation: fences an epoch, recovers and seals the journal's tail.
   * Rejects with ReplicasUnavailableError (too few replicas answer), FenceContendedError (other
   * activations keep taking it) or StaleEpochError (a newer one took it while this one recovered).
   */
  static async open (opts: EntityLogOptions): Promise<EntityLog> {
    try {
      return await EntityLog.#take(opts)
    } catch (err) {
      // its promises granted it leases: it lets go of them, so that the next try (its own or
      // another activation's) need not wait them out
      if (opts.lease !== undefined) {
        for (const node of new Set([...opts.replicas, ...(opts.formerHolders ?? [])])) {
          opts.env.call(node, { op: 'release', entity: opts.entityId, holder: opts.activation }).catch(noop)
        }
      }
      throw err
    }
  }

  static async #take (opts: EntityLogOptions): Promise<EntityLog> {
    const { entityId, replicas, writeQuorum, env } = opts
    const formers = (opts.formerHolders ?? []).filter((n) => !replicas.includes(n))
    const f = fenceQuorum(replicas.length, writeQuorum)
    const absent = opts.absentHolders ?? 0
    // When other storage nodes may hold the journal (the views of the replica set may differ
    // between nodes: docs/replication.md, "Roster changes"), F promises of this view's replicas do
    // not prove that every acknowledged record is among the logs read: one acknowledged by an owner
    // whose view named other replicas is on W nodes of its set, which may miss this set's F. So
    // every node that may hold it is asked, and the logs read must leave out fewer than W of them
    // (those that refused — a newer activation holds them —, failed, or were not asked because they
    // are down): then a node of any W holds it, whatever set they were, and its log was read.
    const seesEveryWrite = (round: FenceRound, former: FenceRound): boolean =>
      replicas.length + formers.length + absent - round.oks.size - former.oks.size < writeQuorum
    let floor = 0
    let backoff = FENCE_BACKOFF_MIN_MS
    // another owner's lease is waited out, a few leases at most (docs/replication.md, "Leases")
    const leaseMs = opts.lease?.ms ?? DEFAULT_LEASE_MS
    let leaseWaited = 0
    for (let attempt = 0; attempt < FENCE_ATTEMPTS; attempt++) {
      if (opts.signal?.aborted === true) throw new TakeAbandonedError(entityId)
      // a clock reading as the first try: above what any earlier activation promised unless the
      // clocks disagree by more than the time between activations (then the refusal says how high)
      const epoch = Math.max(floor + 1, Math.floor(env.now()))
      const fence = { op: 'fence', entity: entityId, epoch, activation: opts.activation } as const
      // former holders are fenced too (an owner still writing to an older replica set is stopped
      // by them), and then every node is waited for, replicas included: a record acknowledged on
      // an older set may be on a current replica that is not among the first F to answer
      const all = formers.length + absent > 0
      const tries = all ? FENCE_CALL_TRIES : 1
      const enough = (r: FenceRound): boolean => holdsFence(r, replicas, f)
      const [round, former] = await Promise.all([fenceRound(env, replicas, fence, all ? () => false : enough, tries), fenceRound(env, formers, fence, () => false, tries)])
      // (and, when other nodes may hold it, none refused for another owner's lease: such a replica
      // is up and its log unread, its lease ends within lease-ms; recovering without it would spend
      // the slack that a lost or damaged copy elsewhere may need)
      if (enough(round) && (!all || (seesEveryWrite(round, former) && round.leaseWait + former.leaseWait === 0))) {
        const best = [...round.oks, ...former.oks].map(([node, summary]) => ({ node, summary })).sort((a, b) => compareLogs(a.summary, b.summary))[0] as { node: string, summary: LogSummary }
        let last: StoredRecord | undefined
        if (best.summary.head > 0) {
          // from the best replica, or one whose log ends in the same record when it cannot be read
          // there (a damaged copy fails its seal and is never returned)
          const same = [...round.oks, ...former.oks].filter(([node, s]) => node !== best.node && s.head === best.summary.head && s.headEpoch === best.summary.headEpoch).map(([node]) => node)
          let why: unknown
          for (const node of [best.node, ...same]) {
            try {
              const [rec] = await env.call(node, { op: 'read', entity: entityId, from: best.summary.head, limit: 1 })
              if (rec?.seq === best.summary.head && rec.epoch === best.summary.headEpoch) {
                last = rec
                break
              }
              why ??= new ReplicasUnavailableError(entityId, 'recovery', f, round.oks.size, `${node} no longer holds seq ${best.summary.head}`)
            } catch (err) {
              why ??= err
            }
          }
          if (last === undefined) throw why
        }
        const log = EntityLog.#recovered(opts, epoch, round.oks, former.oks, best, last, round.sentAt)
        // the best replica holds the owner's log up to the sealed record
        const source = log.#tracks.find((t) => t.node === best.node) ?? log.#sources.find((t) => t.node === best.node)
        if (source !== undefined && best.summary.head > 0) source.match = Math.max(source.match, best.summary.head - 1)
        await log.#recover()
        return log
      }
      const promised = [...round.oks.keys(), ...former.oks.keys()]
      const contended = round.highest !== undefined || former.highest !== undefined
      const leaseWait = Math.max(round.leaseWait, former.leaseWait)
      if (opts.log !== undefined) {
        const errors = [...round.errors, ...former.errors]
        opts.log.debug({ entity: entityId, epoch, promised, leaseWaitMs: leaseWait, highest: round.highest ?? former.highest, errors },
          `${entityId}: fence of epoch ${epoch} did not take it (promised by ${promised.length}; ${round.refused} refused; lease left ${leaseWait} ms; ${errors[0] ?? 'no error'})`)
      }
      // the promises this round did get granted this activation leases there: it lets go of them
      // before it waits or asks again. What refused it may be another new activation taking the
      // entity at the same moment (two nodes' views each named itself the owner for a while): each
      // holding a part of the replicas and their leases, neither would ever get them all
      if (opts.lease !== undefined) {
        for (const node of promised) env.call(node, { op: 'release', entity: entityId, holder: opts.activation }).catch(noop)
      }
      if (!contended && leaseWait > 0) {
        // refused only for another owner's lease, which ends in leaseWait ms on the replica's
        // clock: asked again then (a little later: the clocks may disagree, and others may wait
        // too; a random part of a lease more keeps two that were refused together apart)
        if (leaseWaited + leaseWait > LEASE_WAITS * leaseMs) throw new EntityLeaseHeldError(entityId, leaseWaited)
        const r = env.random()
        const ms = leaseWait * (1 + (opts.lease?.maxDrift ?? 0)) + FENCE_BACKOFF_MIN_MS * r
        // (the random part of a lease more is not counted against the leases it may wait)
        await sleep(env, ms + leaseMs * LEASE_CONTENTION_JITTER * r, opts.signal)
        leaseWaited += ms
        attempt--
        continue
      }
      if (!contended) {
        // a replica that failed in itself (a corrupt record, a full disk) says more than "too few
        // answered": its own error goes up
        const broken = round.failures.find((e) => kindOf(e) !== 'unavailable' && kindOf(e) !== 'timeout')
        if (broken instanceof Error) throw broken
        if (enough(round)) {
          const silent = [...replicas, ...formers].filter((n) => !round.oks.has(n) && !former.oks.has(n))
          const unread = [...(silent.length > 0 ? [`${silent.join(', ')} did not answer`] : []), ...(absent > 0 ? [`${absent} storage node${absent === 1 ? '' : 's'} that may hold it ${absent === 1 ? 'is' : 'are'} down`] : [])]
          const why = [...round.errors, ...former.errors][0]
          // (counted as what this take needs: every node that may hold the journal, but fewer than W)
          const mayHold = replicas.length + formers.length + absent
          throw new ReplicasUnavailableError(entityId, 'taking the entity', mayHold - writeQuorum + 1, round.oks.size + former.oks.size, `${unread.join(' and ')}, and the storage nodes' views of its replicas may differ: a write acknowledged on ${writeQuorum} of them might be there${why === undefined ? '' : ` (${why})`}`)
        }
        if (round.oks.size >= f) {
          // enough promises, but from a learner while another replica did not answer: that one
          // may hold records acknowledged before the learner became a replica
          const missing = replicas.filter((n) => !round.oks.has(n))
          throw new ReplicasUnavailableError(entityId, 'taking the entity', replicas.length, replicas.filter((n) => round.oks.has(n)).length, `${[...round.learners].join(', ')} still catching up as a new replica, and ${missing.join(', ')} did not answer${round.errors[0] === undefined ? '' : `: ${round.errors[0]}`}`)
        }
        throw new ReplicasUnavailableError(entityId, 'taking the entity', f, round.oks.size + round.refused, round.errors[0])
      }
      floor = Math.max(floor, round.highest ?? 0, former.highest ?? 0)
      await sleep(env, backoff * (0.5 + env.random()), opts.signal)
      backoff = Math.min(FENCE_BACKOFF_MAX_MS, backoff * 2)
    }
    if (opts.signal?.aborted === true) throw new TakeAbandonedError(entityId)
    throw new FenceContendedError(entityId, FENCE_ATTEMPTS)
  }

  /** The last seq of the journal (acknowledged or on its way). */
  get head (): number { return this.#head }
  /** The last seq that W replicas hold. */
  get committed (): number { return this.#committed }
  get failed (): Error | undefined { return this.#failure }

  /** The replicas this activation writes to. */
  get replicas (): string[] { return this.#tracks.map((t) => t.node) }

  /**
   * The partition's replicas changed (a storage node joined: docs/replication.md, "Roster
   * changes"): from now on this activation writes to `replicas`, acknowledging at `writeQuorum`.
   * A new replica's pump finds where its log parts from the owner's and feeds it the rest (an
   * append in this epoch raises its promise, or says a newer owner took it: the log then fails
   * as stale). Replicas no longer used stop being fed and stay sources of records.
   */
  reconfigure (replicas: readonly string[], writeQuorum: number): void {
    if (this.#closed || this.#failure !== undefined) return
    const dropped = this.#tracks.filter((t) => !replicas.includes(t.node))
    // a dropped replica's pump stops at its next turn (a request in flight still lands)
    for (const t of dropped) t.broken = true
    const kept = this.#tracks.filter((t) => replicas.includes(t.node))
    const added: Track[] = replicas.filter((n) => !kept.some((t) => t.node === n))
      .map((node) => ({ node, summary: undefined, match: -1, busy: false, broken: false, waiting: false, backoff: RETRY_MIN_MS, granted: -Infinity }))
    this.#sources = [...this.#sources.filter((t) => !replicas.includes(t.node)), ...dropped]
    this.#tracks = [...kept, ...added]
    this.writeQuorum = writeQuorum
    for (const t of added) this.#pump(t)
    this.#advance()
  }

  /** The replicas' standing, for admin and metrics: the seq each is known to match. */
  replicaMatches (): Array<{ node: string, match: number }> {
    return this.#tracks.map((t) => ({ node: t.node, match: t.match }))
  }

  /**
   * Appends records with the next seqs (head + 1, …); resolves once W replicas hold them. On a
   * failure the log stops (onFailed): nothing appended after it is kept.
   */
  append (records: ReadonlyArray<{ seq: number, event: unknown }>): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (this.#closed || this.#handedOver) return Promise.reject(new EntityLogClosedError(this.entityId))
    if (records.length === 0) return Promise.resolve()
    for (let i = 0; i < records.length; i++) {
      if ((records[i] as { seq: number }).seq !== this.#head + 1 + i) {
        return Promise.reject(new RangeError(`${this.entityId}: append must continue the journal at seq ${this.#head + 1 + i}, got ${(records[i] as { seq: number }).seq}`))
      }
    }
    const epoch = this.epoch
    for (const r of records) this.#tail.push({ seq: r.seq, epoch, event: r.event })
    const first = (records[0] as { seq: number }).seq
    // the log's last segment is this epoch's after the first append: nothing to change then
    if (this.#segments[this.#segments.length - 1]?.[0] !== epoch) this.#segments = withRecords(this.#segments, first, records.map(() => epoch))
    this.#head += records.length
    this.#lastUse = this.#clock()
    this.#trimTail()
    const done = this.#waitFor(this.#head)
    for (const t of this.#tracks) this.#pump(t)
    return done
  }

  /**
   * Acknowledged records with seq >= from, in order, at most `limit`: every record acknowledged
   * before the call, by this owner or any before it (docs/replication.md, "Leases"). Served from
   * what this owner holds while its lease is valid; otherwise its epoch is first confirmed by W
   * replicas (which renews the lease). A newer owner found fails the read and the log
   * (StaleEpochError, onFailed); too few replicas answering fails the read only
   * (ReplicasUnavailableError).
   */
  async read (from: number, limit: number): Promise<StoredRecord[]> {
    const upTo = await this.#readPoint()
    const first = Math.max(1, Math.floor(from))
    const last = Math.min(upTo, first + Math.max(0, Math.floor(limit)) - 1)
    const out: StoredRecord[] = []
    let seq = first
    while (seq <= last) {
      const page = await this.#fetch(seq, Math.min(READ_PAGE_RECORDS, last - seq + 1))
      if (page.length === 0) break
      for (const r of page) out.push(r)
      seq += page.length
    }
    return out
  }

  /** Every acknowledged record from `from` on, page by page (each page as `read`). */
  async * replay (from: number): AsyncGenerator<StoredRecord> {
    let seq = Math.max(1, from)
    const end = await this.#readPoint()
    while (seq <= end) {
      const page = await this.read(seq, Math.min(READ_PAGE_RECORDS, end - seq + 1))
      if (page.length === 0) return
      yield * page
      seq += page.length
    }
  }

  /**
   * Confirms that this owner's epoch is current (its lease valid, or W replicas confirming it, as
   * a read does) and resolves with the seq up to which every acknowledged record is held: what a
   * subscriber starting now must be given.
   */
  async confirm (): Promise<number> {
    return await this.#readPoint()
  }

  /** Whether this owner is provably current now, with nothing to wait for (its lease valid, and
   * what a hand-over had in flight acknowledged): what it holds may be served as it is. False:
   * `confirm` first. */
  current (): boolean {
    if (this.#failure !== undefined || this.#closed || this.#handedOver) return false
    this.#lastUse = this.#clock()
    if (this.#committed < this.#readFloor) return false
    if (this.#opts.lease === undefined) return true
    const left = this.#leaseUntil() - this.#clock()
    if (left <= 0) return false
    this.#keepWarm(left)
    return true
  }

  // ---- leases (docs/replication.md, "Leases") -----------------------------------------------

  /** The seq a read starting now serves up to, once this owner is known to be current. */
  async #readPoint (): Promise<number> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#closed || this.#handedOver) throw new EntityLogClosedError(this.entityId)
    this.#lastUse = this.#clock()
    // what the previous owner of a hand-over had in flight may have been acknowledged there
    if (this.#committed < this.#readFloor) await this.#waitFor(this.#readFloor)
    if (this.#opts.lease !== undefined) {
      const began = this.#clock()
      for (;;) {
        const now = this.#clock()
        const until = this.#leaseUntil()
        if (now < until) {
          this.#keepWarm(until - now)
          break
        }
        const round = this.#renew()
        await round.done
        // a round begun after this read confirms it (see #leaseRound); one begun before it (a
        // background renewal) may only have renewed the lease, looked at again
        if (round.startedAt >= began) break
      }
    }
    // read at once (no wait between the check and here): nothing newer can have been acknowledged
    // by anyone else while the lease holds, or since the confirming round's replicas answered
    return this.#committed
  }

  /** Until when (this owner's clock) no newer fence can succeed: W replicas took a request of this
   * lease, the W-th newest sent at g, each refusing newer fences for lease.ms on its own clock from
   * when it took it (after g); with clocks disagreeing by at most maxDrift, that is past
   * g + ms * (1 - maxDrift) here. */
  #leaseUntil (): number {
    const lease = this.#opts.lease
    if (lease === undefined) return Infinity
    // the W-th newest grant: the newest one that W replicas' grants are at least as new as (at most
    // seven replicas: no sorting, no allocation, on every message of the entity)
    let g = -Infinity
    for (const t of this.#tracks) {
      if (t.granted <= g) continue
      let asNew = 0
      for (const u of this.#tracks) if (u.granted >= t.granted) asNew++
      if (asNew >= this.writeQuorum) g = t.granted
    }
    return g + lease.ms * (1 - lease.maxDrift)
  }

  /** Renews the lease with every replica written to (one round at a time); resolves once W took
   * it. A replica that promised a newer epoch fails the log (StaleEpochError). */
  #renew (): { done: Promise<void>, readonly startedAt: number } {
    if (this.#renewing === undefined) {
      const round: { done: Promise<void>, readonly startedAt: number } = { done: Promise.resolve(), startedAt: this.#clock() }
      round.done = this.#leaseRound().finally(() => { if (this.#renewing === round) this.#renewing = undefined })
      this.#renewing = round
    }
    return this.#renewing
  }

  /**
   * One round of `lease` to the replicas written to. It confirms the epoch once W of them took it
   * in this round, whether or not the lease it renews is still valid when their answers arrive (on
   * a slow network it may not be): each took it at a time after the read began, with no newer
   * promise made, and a newer owner needs the promise of one of them, so none had taken the entity
   * then, and what this owner had acknowledged was all there was. The lease it renews serves the
   * reads after.
   */
  #leaseRound (): Promise<void> {
    const entity = this.entityId
    const tracks = this.#tracks.filter((t) => !t.broken)
    return new Promise<void>((resolve, reject) => {
      let pending = tracks.length
      let took = 0
      let settled = false
      const errors: string[] = []
      const settle = (err?: Error): void => {
        if (settled) return
        if (err !== undefined) {
          settled = true
          reject(err)
        } else if (took >= this.writeQuorum || this.#clock() < this.#leaseUntil()) {
          settled = true
          this.#armRenew()
          resolve()
        } else if (pending === 0) {
          settled = true
          reject(new ReplicasUnavailableError(entity, `reading: confirming that epoch ${this.epoch} is current`, this.writeQuorum, took, errors[0]))
        }
      }
      for (const t of tracks) {
        const sent = this.#clock()
        this.#env.call(t.node, { op: 'lease', entity, epoch: this.epoch, activation: this.#opts.activation, holder: this.#holder }).then((reply) => {
          if (reply.result === 'stale') {
            const err = new StaleEpochError(entity, this.epoch, reply.promised)
            this.#fail(err)
            settle(err)
            return
          }
          took++
          t.granted = Math.max(t.granted, sent)
        }, (err: unknown) => {
          errors.push(`${t.node}: ${(err as Error | undefined)?.message ?? String(err)}`)
        }).finally(() => {
          pending--
          if (this.#failure !== undefined && this.#failure.name !== 'StaleEpochError') settle(this.#failure)
          settle()
        })
      }
      if (tracks.length === 0) settle()
    })
  }

  /** A read found the lease valid, `left` ms from its end: past half of it, renewed now. */
  #keepWarm (left: number): void {
    const lease = this.#opts.lease as LeaseOptions
    if (left < lease.ms * (1 - lease.maxDrift) / 2) this.#renew().done.catch(noop)
    else this.#armRenew()
  }

  /** Renews the lease when half of it is used, if the entity read or wrote within the last lease
   * (one idle lets it lapse: its next read confirms the epoch). One timer per log. */
  #armRenew (): void {
    const lease = this.#opts.lease
    if (lease === undefined || this.#renewTimer !== undefined || this.#closed || this.#handedOver || this.#failure !== undefined) return
    const half = lease.ms * (1 - lease.maxDrift) / 2
    const at = this.#leaseUntil() - half
    if (at === -Infinity) return
    this.#renewTimer = this.#env.timer(Math.max(0, at - this.#clock()), () => {
      this.#renewTimer = undefined
      if (this.#closed || this.#handedOver || this.#failure !== undefined) return
      if (this.#clock() - this.#lastUse > lease.ms) return
      // (renewed meanwhile by appends: armed again for the new half; a ms of slack, so that a timer
      // that fires a hair early does not re-arm itself for nothing)
      if (this.#leaseUntil() - this.#clock() > half + 1) this.#armRenew()
      else this.#renew().done.catch(noop)
    })
  }

  /** Lets go of the lease at every replica (the log closed, handed over, or failed): a newer owner
   * need not wait for it. */
  #release (): void {
    if (this.#opts.lease === undefined || this.#released) return
    this.#released = true
    this.#renewTimer?.()
    this.#renewTimer = undefined
    for (const t of [...this.#tracks, ...this.#sources]) {
      this.#env.call(t.node, { op: 'release', entity: this.entityId, holder: this.#holder }).catch(noop)
    }
  }

  /** The newest snapshot a replica that answered the fence holds, not past the recovered head. One
   * that cannot be read (damaged, the replica gone) gives way to the next newest; with none, the
   * entity replays its whole journal (records are never dropped for a snapshot). */
  async loadSnapshot (): Promise<StoredSnapshot | undefined> {
    for (const holder of this.#snapshotHolders) {
      try {
        const snap = await this.#env.call(holder.node, { op: 'load-snapshot', entity: this.entityId })
        if (snap !== null && snap.seq <= this.#sealed) return snap
      } catch {
        // the next holder
      }
    }
    return undefined
  }

  /** Sends a snapshot (of acknowledged records only) to every replica in step; resolves when one
   * kept it, rejects when none did. */
  async saveSnapshot (snapshot: StoredSnapshot): Promise<void> {
    if (snapshot.seq > this.#committed) throw new RangeError(`${this.entityId}: snapshot at seq ${snapshot.seq} is past the acknowledged ${this.#committed}`)
    const targets = this.#tracks.filter((t) => t.match >= snapshot.seq)
    const results = await Promise.allSettled(targets.map((t) => this.#env.call(t.node, { op: 'save-snapshot', entity: this.entityId, epoch: this.epoch, snapshot })))
    if (!results.some((r) => r.status === 'fulfilled' && r.value.result === 'ok')) {
      throw new ReplicasUnavailableError(this.entityId, 'a snapshot', 1, 0)
    }
  }

  /** Stops feeding replicas; writes still waiting fail with EntityLogClosedError. Idempotent. After
   * a hand-over it does nothing: the records in flight are still fed, and the log closes once W
   * replicas hold them. */
  close (): void {
    if (this.#closed || this.#handedOver) return
    this.#closed = true
    this.#release()
    this.#rejectAll(new EntityLogClosedError(this.entityId))
  }

  /**
   * Ends this activation's hold on the log so that the entity's next owner can go on from it without
   * a fence (a live move: docs/replication.md, "Hand-over"): from now on nothing is appended here,
   * and the ticket says what the next owner needs. Records still in flight (at most
   * HANDOVER_RECORDS) travel with the ticket: the next owner feeds them on, and this log keeps
   * feeding them too until W replicas hold them (their writers are told as usual; the log then
   * closes by itself). Undefined, and the log left as it is, once it failed or was closed, or with
   * more in flight than a ticket carries.
   */
  handOver (id: string): LogTicket | undefined {
    if (this.#closed || this.#handedOver || this.#failure !== undefined) return undefined
    const inFlight = this.#head - this.#committed
    // the tail keeps every record not yet acknowledged (trimTail drops only acknowledged ones)
    const from = this.#committed + 1 - this.#tailStart
    const tail = from < 0 ? [] : this.#tail.slice(from)
    if (inFlight > HANDOVER_RECORDS || from < 0 || tail.length !== inFlight) return undefined
    this.#handedOver = true
    if (inFlight === 0) this.#closed = true
    // it serves nothing more: the next owner, resuming or (when the ticket does not fit) fencing,
    // need not wait for its lease
    this.#release()
    const standing = (t: Track): { node: string, match: number } => ({ node: t.node, match: t.match })
    return {
      id,
      entity: this.entityId,
      epoch: this.epoch,
      activation: this.#opts.activation,
      head: this.#head,
      committed: this.#committed,
      sealed: this.#sealed,
      segments: this.#segments.map(([epoch, first]) => [epoch, first] as const),
      writeQuorum: this.writeQuorum,
      replicas: this.#tracks.map(standing),
      sources: this.#sources.map(standing),
      tail: tail.map((r) => ({ seq: r.seq, epoch: r.epoch, event: r.event }))
    }
  }

  // ---- recovery and commitment ---------------------------------------------------------------

  async #recover (): Promise<void> {
    if (this.#sealed === 0) return
    const done = this.#waitFor(this.#sealed)
    for (const t of this.#tracks) this.#pump(t)
    try {
      await done
    } catch (err) {
      this.close()
      throw err
    }
  }

  #waitFor (seq: number): Promise<void> {
    if (seq <= this.#committed) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject, deadline: this.#env.now() + (this.#opts.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS) })
      this.#armDeadline()
    })
  }

  /** One timer for all waiting writes (the oldest's deadline comes first: they wait in seq order,
   * each added later than the one before), not one per append. */
  #armDeadline (): void {
    if (this.#deadlineTimer !== undefined) return
    const oldest = this.#waiters[0]
    if (oldest === undefined) return
    this.#deadlineTimer = this.#env.timer(Math.max(0, oldest.deadline - this.#env.now()), () => {
      this.#deadlineTimer = undefined
      const first = this.#waiters[0]
      if (first === undefined) return
      if (this.#env.now() >= first.deadline) {
        const holding = this.#tracks.filter((t) => t.match >= first.seq).length
        this.#fail(new ReplicasUnavailableError(this.entityId, `writing seq ${first.seq}`, this.writeQuorum, holding, 'no answer in time'))
        return
      }
      this.#armDeadline()
    })
  }

  #advance (): void {
    const matches = this.#tracks.map((t) => t.match).sort((a, b) => b - a)
    const c = matches[this.writeQuorum - 1] ?? -1
    // only from the record sealed in this epoch on: an older epoch's record on W replicas is not
    // yet safe (docs/replication.md, I4)
    if (c < this.#sealed || c <= this.#committed) return
    this.#committed = c
    // waiters are in seq order: the ready ones are at the front
    let n = 0
    while (n < this.#waiters.length && (this.#waiters[n] as Waiter).seq <= c) n++
    const ready = n === this.#waiters.length ? this.#waiters : this.#waiters.slice(0, n)
    this.#waiters = n === this.#waiters.length ? [] : this.#waiters.slice(n)
    for (const w of ready) w.resolve()
    this.#trimTail()
    // handed over: its records in flight are acknowledged; the next owner feeds the rest
    if (this.#handedOver && this.#committed >= this.#head) this.#closed = true
  }

  #fail (err: Error): void {
    if (this.#failure !== undefined || this.#closed) return
    this.#failure = err
    this.#release()
    this.#rejectAll(err)
    this.#opts.onFailed?.(err)
  }

  #rejectAll (err: Error): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(err)
    this.#deadlineTimer?.()
    this.#deadlineTimer = undefined
  }

  // ---- feeding replicas ---------------------------------------------------------------------

  #ownLog (): { segments: readonly Segment[], head: number } {
    return { segments: this.#segments, head: this.#head }
  }

  #trimTail (): void {
    // keep what a replica not yet in step may need, within the bound; older records are read
    // from a replica that holds them
    // trimmed in halves, not one record per append (a splice shifts the whole array)
    if (this.#tail.length <= 2 * OWNER_TAIL_RECORDS) return
    const excess = this.#tail.length - OWNER_TAIL_RECORDS
    const drop = Math.min(excess, Math.max(0, this.#committed - this.#tailStart + 1))
    if (drop <= 0) return
    this.#tail.splice(0, drop)
    this.#tailStart += drop
  }

  #pump (t: Track): void {
    if (t.busy || t.waiting || t.broken || this.#closed || this.#failure !== undefined) return
    if (t.match >= this.#head) return
    t.busy = true
    this.#step(t).then((progress) => {
      t.busy = false
      if (progress) {
        t.backoff = RETRY_MIN_MS
        this.#pump(t)
      }
    }, (err: unknown) => {
      t.busy = false
      // a replica refusing or failing in itself (its disk), not timing out or unreachable, will
      // fail again: that replica is out for this activation; so is this node's own replica when
      // it is unavailable (its store is closed: the node is stopping). A slow one, this node's
      // own included, is tried again
      const kind = kindOf(err)
      if ((kind !== 'unavailable' && kind !== 'timeout') || (t.node === this.#opts.self && kind !== 'timeout')) {
        this.#opts.log?.debug({ entity: this.entityId, replica: t.node, err }, `${this.entityId}: replica ${t.node} is out for this owner (${describe(err)})`)
        t.broken = true
        if (this.#tracks.filter((x) => !x.broken).length < this.writeQuorum) this.#fail(err instanceof Error ? err : new Error(String(err)))
        return
      }
      // the replica did not answer: try again later, from where it was
      t.waiting = true
      const delay = t.backoff * (0.5 + this.#env.random())
      t.backoff = Math.min(RETRY_MAX_MS, t.backoff * 2)
      this.#opts.log?.debug({ entity: this.entityId, replica: t.node, retryInMs: Math.round(delay), head: this.#head, committed: this.#committed },
        `${this.entityId}: replica ${t.node} did not answer (${describe(err)}); asked again in ${Math.round(delay)} ms`)
      this.#env.timer(delay, () => {
        t.waiting = false
        this.#pump(t)
      })
    })
  }

  /** One request to one replica; true when it moved (the caller pumps again). */
  async #step (t: Track): Promise<boolean> {
    const entity = this.entityId
    if (t.match < 0) {
      const summary = await this.#env.call(t.node, { op: 'summary', entity })
      t.summary = summary
      t.match = matchPoint(this.#ownLog(), summary)
      return true
    }
    const from = t.match + 1
    let prevEpoch = t.match === 0 ? 0 : this.#epochOf(t.match)
    if (prevEpoch === undefined) {
      // older than what the owner keeps of its log: the record itself says
      const [prev] = await this.#fetch(t.match, 1, t.node)
      if (prev?.seq !== t.match) throw new Error(`${entity}: no record ${t.match} from a replica in step`)
      prevEpoch = prev.epoch
    }
    const records = from >= this.#tailStart
      ? this.#tail.slice(from - this.#tailStart, from - this.#tailStart + APPEND_BATCH_RECORDS)
      : await this.#fetch(from, Math.min(APPEND_BATCH_RECORDS, this.#tailStart - from), t.node)
    if (records.length === 0) return false
    // an append taken renews this owner's lease there (not after a hand-over: it serves no more)
    const leased = this.#opts.lease !== undefined && !this.#handedOver
    const sent = this.#clock()
    const reply: AppendReply = await this.#env.call(t.node, {
      op: 'append', entity, epoch: this.epoch, activation: this.#opts.activation, prevSeq: t.match, prevEpoch, records, ...(leased && { holder: this.#holder })
    })
    switch (reply.result) {
      case 'ok': {
        if (leased) t.granted = Math.max(t.granted, sent)
        t.summary = reply.summary
        t.match = Math.max(t.match, (records[records.length - 1] as StoredRecord).seq)
        this.#advance()
        return true
      }
      case 'mismatch': {
        t.summary = reply.summary
        const m = matchPoint(this.#ownLog(), reply.summary)
        // no progress by the summaries (the replica is further back than they show): from seq 1
        t.match = m < t.match ? m : 0
        return true
      }
      case 'stale':
        this.#fail(new StaleEpochError(entity, this.epoch, reply.promised))
        return false
    }
  }

  /** The epoch of seq in the owner's log, when the tail or the segments know it. */
  #epochOf (seq: number): number | undefined {
    if (seq >= this.#tailStart && seq <= this.#head) return (this.#tail[seq - this.#tailStart] as StoredRecord).epoch
    return epochAt(this.#segments, this.#head, seq)
  }

  /** Records of the owner's log from seq on (at most limit): from the tail, or from a replica that
   * holds them in step (this node's own first). */
  async #fetch (seq: number, limit: number, not?: string): Promise<StoredRecord[]> {
    if (seq >= this.#tailStart) return this.#tail.slice(seq - this.#tailStart, seq - this.#tailStart + limit)
    const end = Math.min(seq + limit - 1, this.#tailStart - 1)
    const sources = [...this.#tracks, ...this.#sources].filter((t) => t.node !== not && t.match >= end)
      .sort((a, b) => (a.node === this.#opts.self ? -1 : b.node === this.#opts.self ? 1 : 0))
    let lastErr: unknown
    for (const s of sources) {
      try {
        const page = await this.#env.call(s.node, { op: 'read', entity: this.entityId, from: seq, limit: end - seq + 1 })
        if (page.length > 0 && page[0]?.seq === seq) return page
      } catch (err) {
        lastErr = err
      }
    }
    // the last replica's own error when there was one (a corrupt record reads as CorruptRecordError)
    if (lastErr !== undefined) throw lastErr
    throw new ReplicasUnavailableError(this.entityId, `reading seq ${seq}`, 1, 0, 'no replica in step holds it')
  }
}

interface FenceRound {
  readonly oks: Map<string, LogSummary>
  /** When the fence each promise answered was sent, on the owner's clock (the lease it granted). */
  readonly sentAt: Map<string, number>
  /** The longest another owner's lease made a replica refuse for (0: none did). */
  readonly leaseWait: number
  /** Of those, the replicas that promised as learners (still catching up). */
  readonly learners: Set<string>
  readonly refused: number
  /** The highest promise a refusal reported, if any refused. */
  readonly highest: number | undefined
  readonly errors: string[]
  readonly failures: unknown[]
}

/**
 * Whether a fence round holds the entity: F promises from the replicas, and, when a learner (a
 * replica still catching up: docs/replication.md, "Replica moves") is among them, a promise from
 * every replica of the set. A learner's log may lack what was acknowledged before it became a
 * replica, so it never stands in for one that holds the partition: while the set has a learner,
 * recovery reads every replica (learners too: every one of them may be a learner, after a cluster
 * was stopped for long, and then only all of them together are sure to hold every record). Its
 * promise counts like any: it refuses older epochs.
 */
function holdsFence (round: FenceRound, replicas: readonly string[], f: number): boolean {
  if (round.oks.size < f) return false
  return round.learners.size === 0 || replicas.every((n) => round.oks.has(n))
}

/** Sends a fence to every replica; settles once `enough` (the others may still answer: their
 * summaries are not needed) or every replica answered or failed. */
function fenceRound (env: OwnerEnv, replicas: readonly string[], request: Extract<ReplicaRequest, { op: 'fence' }>, enough: (round: FenceRound) => boolean, tries = 1): Promise<FenceRound> {
  return new Promise((resolve) => {
    const round = { oks: new Map<string, LogSummary>(), sentAt: new Map<string, number>(), leaseWait: 0, learners: new Set<string>(), refused: 0, highest: undefined as number | undefined, errors: [] as string[], failures: [] as unknown[] }
    let pending = replicas.length
    let settled = false
    const settle = (): void => {
      if (settled) return
      if (enough(round) || pending === 0) {
        settled = true
        resolve({ ...round, oks: new Map(round.oks), sentAt: new Map(round.sentAt), learners: new Set(round.learners) })
      }
    }
    // a node that did not answer (unreachable, or no answer in time) is asked again, `tries` in all
    const clock = env.clock ?? env.now
    const ask = (node: string, left: number): Promise<{ reply: FenceReply, sent: number }> => {
      const sent = clock()
      return env.call(node, request).then((reply) => ({ reply, sent }), async (err: unknown) => {
        const kind = kindOf(err)
        if (left <= 1 || (kind !== 'unavailable' && kind !== 'timeout') || env.live?.(node) === false) throw err
        await sleep(env, FENCE_BACKOFF_MIN_MS * (0.5 + env.random()))
        return await ask(node, left - 1)
      })
    }
    for (const node of replicas) {
      ask(node, tries).then(({ reply, sent }) => {
        if (reply.ok) {
          round.oks.set(node, reply.summary)
          round.sentAt.set(node, sent)
          if (reply.learner === true) round.learners.add(node)
        } else if (reply.leaseMs !== undefined && reply.promised < request.epoch) {
          round.leaseWait = Math.max(round.leaseWait, reply.leaseMs)
        } else {
          round.refused++
          round.highest = Math.max(round.highest ?? 0, reply.promised)
        }
      }, (err: unknown) => {
        round.errors.push(`${node}: ${(err as Error | undefined)?.message ?? String(err)}`)
        round.failures.push(err)
      }).finally(() => {
        pending--
        settle()
      })
    }
    if (replicas.length === 0) settle()
  })
}

function noop (): void {}

/** Resolves after `ms` on the env's clock, or as soon as `signal` aborts. */
function sleep (env: OwnerEnv, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      cancel()
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const cancel = env.timer(ms, done)
    signal?.addEventListener('abort', done, { once: true })
  })
}

