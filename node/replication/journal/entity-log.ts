import { DEFAULT_APPEND_TIMEOUT_MS, EDIT_EVERY_REPLICA_MS, READ_PAGE_RECORDS } from '../constants.ts'
import { EntityLogClosedError, ReplicasUnavailableError } from '../errors.ts'
import type { StoredRecord, StoredSnapshot } from '../replica/replica-protocol.ts'
import type { EntityLogOptions } from './entity-log-options.ts'
import { recoveredInit, takeEntity } from './entity-take.ts'
import { LogEdits } from './log-edits.ts'
import { handOverTicket, resumedInit } from './log-hand-over.ts'
import { LogState, newTrack } from './log-state.ts'
import type { LogInit, ReplicaTrack } from './log-state.ts'
import { withRecords } from './log-summary.ts'
import type { LogTicket } from './log-ticket.ts'
import { OwnerLease } from './owner-lease.ts'
import { withVersion } from './owner-versions.ts'
import type { OwnerEnv } from './owner-env.ts'
import { ReplicaFeed } from './replica-feed.ts'
import { WriteWaiters } from './write-waiters.ts'

/**
 * The owner's side of one entity's replicated journal, for one activation (docs/replication.md):
 * `open` fences an epoch with F replicas, recovers the best log among them and seals it in the new
 * epoch on W replicas (entity-take.ts); `append` resolves once W replicas hold the records. Each
 * replica is fed by its own pump (replica-feed.ts), one request in flight at a time, so a slow or
 * absent replica holds no one back and what queues meanwhile goes in one request. Reads are served
 * under the owner's lease (owner-lease.ts); a live move hands the log over (log-hand-over.ts).
 */
export class EntityLog {
  readonly entityId: string
  readonly epoch: number
  readonly #opts: EntityLogOptions
  readonly #env: OwnerEnv
  /** The log as this owner holds it, shared with its feed and its lease. */
  readonly #s: LogState
  readonly #waiters: WriteWaiters
  readonly #feed: ReplicaFeed
  readonly #lease: OwnerLease
  readonly #edits: LogEdits
  readonly #clock: () => number

  private constructor (opts: EntityLogOptions, init: LogInit) {
    this.#opts = opts
    this.#env = opts.env
    this.entityId = opts.entityId
    this.epoch = init.epoch
    this.#s = new LogState(init, opts.writeQuorum)
    this.#clock = opts.env.clock ?? opts.env.now
    const owner = { entityId: opts.entityId, activation: opts.activation, env: opts.env, clock: this.#clock, fail: (err: Error) => { this.#fail(err) } }
    this.#waiters = new WriteWaiters(opts.env, opts.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS, (seq) => {
      const holding = this.#s.tracks.filter((t) => t.match >= seq).length
      this.#fail(new ReplicasUnavailableError(this.entityId, `writing seq ${seq}`, this.#s.writeQuorum, holding, 'no answer in time'))
    })
    this.#feed = new ReplicaFeed(this.#s, {
      ...owner,
      leased: opts.lease !== undefined,
      ...(opts.self !== undefined && { self: opts.self }),
      ...(opts.log !== undefined && { log: opts.log }),
      advance: () => { this.#advance() }
    })
    this.#lease = new OwnerLease(this.#s, { ...owner, lease: opts.lease })
    this.#edits = new LogEdits(this.#s, { ...owner, feed: this.#feed, timeoutMs: opts.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS, everyReplicaMs: opts.editEveryReplicaMs ?? EDIT_EVERY_REPLICA_MS })
  }

  /**
   * Goes on from the log an activation on another node handed over as the entity moved live
   * (handOver; docs/replication.md, "Hand-over"): the same epoch and activation, the same head and
   * commitment, no fence, no recovery; the records the old owner had in flight are fed on from here
   * too. Undefined when the ticket does not fit this owner's view: another entity, or another replica
   * set or write quorum (the caller then opens the log, which fences). Each ticket is used once.
   */
  static resume (given: Omit<EntityLogOptions, 'activation' | 'formerHolders'>, ticket: LogTicket): EntityLog | undefined {
    const opts = withVersion(given)
    const init = resumedInit(opts, ticket)
    if (init === undefined) return undefined
    const log = new EntityLog({ ...opts, activation: ticket.activation }, init)
    // what the old owner had in flight reaches the replicas from here too (one copy each)
    const s = log.#s
    if (s.committed < s.head) for (const t of s.tracks) log.#feed.pump(t)
    return log
  }

  /**
   * Takes the entity for a new activation: fences an epoch, recovers and seals the journal's tail.
   * Rejects with ReplicasUnavailableError (too few replicas answer), FenceContendedError (other
   * activations keep taking it) or StaleEpochError (a newer one took it while this one recovered).
   */
  static async open (given: EntityLogOptions): Promise<EntityLog> {
    const opts = withVersion(given)
    try {
      const log = new EntityLog(opts, recoveredInit(opts, await takeEntity(opts)))
      await log.#recover()
      return log
    } catch (err) {
      // its promises granted it leases: it lets go of them, so that the next try (its own or
      // another activation's) need not wait them out (one that does not arrive costs that wait)
      if (opts.lease !== undefined) {
        for (const node of new Set([...opts.replicas, ...(opts.formerHolders ?? [])])) {
          opts.env.call(node, { op: 'release', entity: opts.entityId, holder: opts.activation }).catch(noop)
        }
      }
      throw err
    }
  }

  /** The last seq of the journal (acknowledged or on its way). */
  get head (): number { return this.#s.head }
  /** The last seq that W replicas hold. */
  get committed (): number { return this.#s.committed }
  /** The first seq the log holds (1 until trimmed: docs/replication.md, "Rewrites and trims"). */
  get floor (): number { return this.#s.floor }
  get failed (): Error | undefined { return this.#s.failure }
  /** W: replicas that must hold a record before it is acknowledged (changes with reconfigure). */
  get writeQuorum (): number { return this.#s.writeQuorum }

  /** The replicas this activation writes to. */
  get replicas (): string[] { return this.#s.tracks.map((t) => t.node) }
  get activation (): string { return this.#opts.activation }
  /** Whether it acknowledges nothing until `release` (its partition moving: journal/log-move.ts). */
  get moving (): boolean { return this.#s.moving }
  hold (): void { this.#s.moving = true }
  release (): void { this.#s.moving = false; this.#advance() }

  /**
   * The partition's replicas changed (a storage node joined: docs/replication.md, "Roster
   * changes"): from now on this activation writes to `replicas`, acknowledging at `writeQuorum`.
   * A new replica's pump finds where its log parts from the owner's and feeds it the rest (an
   * append in this epoch raises its promise, or says a newer owner took it: the log then fails
   * as stale). Replicas no longer used stop being fed and stay sources of records.
   */
  reconfigure (replicas: readonly string[], writeQuorum: number): void {
    const s = this.#s
    if (s.closed || s.failure !== undefined) return
    const dropped = s.tracks.filter((t) => !replicas.includes(t.node))
    // a dropped replica's pump stops at its next turn (a request in flight still lands)
    for (const t of dropped) t.broken = true
    const kept = s.tracks.filter((t) => replicas.includes(t.node))
    const added: ReplicaTrack[] = replicas.filter((n) => !kept.some((t) => t.node === n)).map((node) => newTrack(node))
    s.sources = [...s.sources.filter((t) => !replicas.includes(t.node)), ...dropped]
    s.tracks = [...kept, ...added]
    s.writeQuorum = writeQuorum
    for (const t of added) this.#feed.pump(t)
    this.#advance()
  }

  /** The replicas' standing, for admin and metrics: the seq each is known to match. */
  replicaMatches (): Array<{ node: string, match: number }> { return this.#s.tracks.map((t) => ({ node: t.node, match: t.match })) }

  /**
   * The seq up to which `node`'s replica is known to hold this log's acknowledged records from the
   * floor on (0: none known): as acknowledged, or at a later or (a rewrite not there yet: a reader
   * checks, as a room hides redacted text) earlier revision. What a reader on that node may read
   * from its own store; a record it does not find there (trimmed, moved) it asks of the owner.
   */
  heldBy (node: string): number {
    const s = this.#s
    if (s.failure !== undefined || s.closed || s.handedOver) return 0
    let match = 0
    for (const t of s.tracks) if (t.node === node) match = Math.max(match, t.match)
    for (const t of s.sources) if (t.node === node) match = Math.max(match, t.match)
    return Math.min(match, s.committed)
  }

  /**
   * Appends records with the next seqs (head + 1, …); resolves once W replicas hold them. On a
   * failure the log stops (onFailed): nothing appended after it is kept.
   */
  append (records: ReadonlyArray<{ seq: number, event: unknown }>): Promise<void> {
    const s = this.#s
    if (s.failure !== undefined) return Promise.reject(s.failure)
    if (s.closed || s.handedOver) return Promise.reject(new EntityLogClosedError(this.entityId))
    if (records.length === 0) return Promise.resolve()
    for (let i = 0; i < records.length; i++) {
      if ((records[i] as { seq: number }).seq !== s.head + 1 + i) {
        return Promise.reject(new RangeError(`${this.entityId}: append must continue the journal at seq ${s.head + 1 + i}, got ${(records[i] as { seq: number }).seq}`))
      }
    }
    const epoch = this.epoch
    for (const r of records) s.tail.push({ seq: r.seq, epoch, event: r.event })
    const first = (records[0] as { seq: number }).seq
    // the log's last segment is this epoch's after the first append: nothing to change then
    if (s.segments[s.segments.length - 1]?.[0] !== epoch) s.segments = withRecords(s.segments, first, records.map(() => epoch))
    s.head += records.length
    s.lastUse = this.#clock()
    s.trimTail()
    const done = this.#waiters.waitFor(s.head, s.committed)
    for (const t of s.tracks) this.#feed.pump(t)
    return done
  }

  /**
   * Replaces acknowledged records (seq in [floor, committed]) with these events, each at the next
   * revision of its record (same seq and epoch); resolves once W replicas in step hold them
   * (docs/replication.md, "Rewrites and trims"). Rejects with ReplicasUnavailableError when too few
   * take it in time (the log goes on), or with the log's failure.
   */
  rewrite (records: ReadonlyArray<{ seq: number, event: unknown }>): Promise<void> {
    this.#s.lastUse = this.#clock()
    return this.#edits.rewrite(records)
  }

  /** Drops every record below `before` (at most committed + 1) on the replicas, each first keeping
   * `snapshot` (seq ≥ before − 1); resolves once W replicas took the floor. As `rewrite` fails. */
  trim (before: number, snapshot: StoredSnapshot): Promise<void> {
    this.#s.lastUse = this.#clock()
    return this.#edits.trim(before, snapshot)
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
    // (nothing below the floor: trimmed)
    const first = Math.max(1, this.#s.floor, Math.floor(from))
    const last = Math.min(upTo, first + Math.max(0, Math.floor(limit)) - 1)
    const out: StoredRecord[] = []
    let seq = first
    while (seq <= last) {
      const page = await this.#feed.fetch(seq, Math.min(READ_PAGE_RECORDS, last - seq + 1))
      if (page.length === 0) break
      for (const r of page) out.push(r)
      seq += page.length
    }
    return out
  }

  /** Every acknowledged record from `from` on, page by page (each page as `read`). */
  async * replay (from: number): AsyncGenerator<StoredRecord> {
    const end = await this.#readPoint()
    let seq = Math.max(1, this.#s.floor, from)
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
    const s = this.#s
    if (s.failure !== undefined || s.closed || s.handedOver) return false
    s.lastUse = this.#clock()
    if (s.committed < s.readFloor) return false
    if (this.#opts.lease === undefined) return true
    const left = this.#lease.until() - this.#clock()
    if (left <= 0) return false
    this.#lease.keepWarm(left)
    return true
  }

  /** The seq a read starting now serves up to, once this owner is known to be current. */
  async #readPoint (): Promise<number> {
    const s = this.#s
    if (s.failure !== undefined) throw s.failure
    if (s.closed || s.handedOver) throw new EntityLogClosedError(this.entityId)
    s.lastUse = this.#clock()
    // what the previous owner of a hand-over had in flight may have been acknowledged there
    if (s.committed < s.readFloor) await this.#waiters.waitFor(s.readFloor, s.committed)
    if (this.#opts.lease !== undefined) {
      const began = this.#clock()
      for (;;) {
        const now = this.#clock()
        const until = this.#lease.until()
        if (now < until) {
          this.#lease.keepWarm(until - now)
          break
        }
        const round = this.#lease.renew()
        await round.done
        // a round begun after this read confirms it (see OwnerLease); one begun before it (a
        // background renewal) may only have renewed the lease, looked at again
        if (round.startedAt >= began) break
      }
    }
    // read at once (no wait between the check and here): nothing newer can have been acknowledged
    // by anyone else while the lease holds, or since the confirming round's replicas answered
    return s.committed
  }

  /** The newest snapshot a replica that answered the fence holds, not past the recovered head. One
   * that cannot be read (damaged, the replica gone) gives way to the next newest; with none, the
   * entity replays its whole journal (records are never dropped for a snapshot). */
  async loadSnapshot (): Promise<StoredSnapshot | undefined> {
    for (const holder of this.#s.snapshotHolders) {
      try {
        const snap = await this.#env.call(holder.node, { op: 'load-snapshot', entity: this.entityId })
        // (one below the floor cannot be used: the records after it were trimmed)
        if (snap !== null && snap.seq <= this.#s.sealed && snap.seq >= this.#s.floor - 1) return snap
      } catch {
        // the next holder
      }
    }
    return undefined
  }

  /** Sends a snapshot (of acknowledged records only) to every replica in step; resolves when one
   * kept it, rejects when none did. */
  async saveSnapshot (snapshot: StoredSnapshot): Promise<void> {
    if (snapshot.seq > this.#s.committed) throw new RangeError(`${this.entityId}: snapshot at seq ${snapshot.seq} is past the acknowledged ${this.#s.committed}`)
    const targets = this.#s.tracks.filter((t) => t.match >= snapshot.seq)
    const results = await Promise.allSettled(targets.map((t) => this.#env.call(t.node, { op: 'save-snapshot', entity: this.entityId, epoch: this.epoch, snapshot })))
    if (!results.some((r) => r.status === 'fulfilled' && r.value.result === 'ok')) {
      throw new ReplicasUnavailableError(this.entityId, 'a snapshot', 1, 0)
    }
  }

  /** Stops feeding replicas; writes still waiting fail with EntityLogClosedError. Idempotent. After
   * a hand-over it does nothing: the records in flight are still fed, and the log closes once W
   * replicas hold them. */
  close (): void {
    const s = this.#s
    if (s.closed || s.handedOver) return
    s.closed = true
    this.#lease.release()
    // (the error, with its stack, is made only for writes that wait: most logs close with none)
    this.#waiters.rejectAll(() => new EntityLogClosedError(this.entityId))
  }

  /**
   * Ends this activation's hold on the log so that the entity's next owner can go on from it without
   * a fence (a live move: docs/replication.md, "Hand-over"): from now on nothing is appended here,
   * and the ticket says what the next owner needs. Records still in flight (at most
   * HANDOVER_RECORDS) travel with the ticket: the next owner feeds them on, and this log keeps
   * feeding them too until W replicas hold them (their writers are told as usual; the log then
   * closes by itself). Undefined, and the log left as it is, once it failed or was closed, or with
   * more in flight than a ticket carries, or with a rewrite or trim in flight (LogEdits.busy).
   */
  handOver (id: string): LogTicket | undefined {
    const s = this.#s
    if (s.closed || s.handedOver || s.failure !== undefined || this.#edits.busy) return undefined
    const { version } = this.#opts
    const ticket = handOverTicket(s, this.entityId, this.#opts.activation, id, typeof version === 'function' ? version() : version)
    if (ticket === undefined) return undefined
    s.handedOver = true
    if (s.head === s.committed) s.closed = true
    // it serves nothing more: the next owner, resuming or (when the ticket does not fit) fencing,
    // need not wait for its lease
    this.#lease.release()
    return ticket
  }

  /** Seals the recovered tail: resolves once W replicas hold the log up to the sealed record. */
  async #recover (): Promise<void> {
    const s = this.#s
    if (s.sealed === 0) return
    const done = this.#waiters.waitFor(s.sealed, s.committed)
    for (const t of s.tracks) this.#feed.pump(t)
    // a log trimmed whole has no record to seal: the replicas that hold it whole already count
    this.#advance()
    try {
      await done
    } catch (err) {
      this.close()
      throw err
    }
  }

  #advance (): void {
    const s = this.#s
    if (s.moving) return
    const matches = s.tracks.map((t) => t.match).sort((a, b) => b - a)
    const c = matches[s.writeQuorum - 1] ?? -1
    // only from the record sealed in this epoch on: an older epoch's record on W replicas is not
    // yet safe (docs/replication.md, I4)
    if (c < s.sealed || c <= s.committed) return
    s.committed = c
    this.#waiters.acknowledged(c)
    s.trimTail()
    // handed over: its records in flight are acknowledged; the next owner feeds the rest
    if (s.handedOver && s.committed >= s.head) s.closed = true
  }

  /** Stops the log for good with `err` (its partition moved: taken again): writes fail with it (onFailed). */
  stop (err: Error): void { this.#fail(err) }
  #fail (err: Error): void {
    const s = this.#s
    if (s.failure !== undefined || s.closed) return
    s.failure = err
    this.#lease.release()
    this.#waiters.rejectAll(err)
    this.#opts.onFailed?.(err)
  }
}

function noop (): void {}
