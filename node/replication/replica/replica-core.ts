import { STATE_CACHE } from '../constants.ts'
import { ReplicaRetiredError } from '../errors.ts'
import { EMPTY_SUMMARY, epochAt, floorOf, genAfter, matchPoint, revisedOf } from '../journal/log-summary.ts'
import type { Generation, LogSummary } from '../journal/log-summary.ts'
import { EntityTurns } from './entity-turns.ts'
import { appendAtHead, planAppend } from './replica-append.ts'
import type { AppendPlan } from './replica-append.ts'
import { ReplicaLeases } from './replica-leases.ts'
import { rewriteChange, trimChange, truncateChange } from './replica-edits.ts'
import { adoptChange, fillChange } from './replica-pulls.ts'
import type { AppendReply, FenceReply, LeaseReply, ReplicaRequest, ReplyOf, RewriteReply, SaveSnapshotReply, StoredRecord, StoredSnapshot, TrimReply } from './replica-protocol.ts'
import { sealedAsAppend } from './replica-protocol.ts'
import type { PackedRecord, ReplicaChange, ReplicaState, ReplicaStorage } from './replica-storage.ts'
import type { ReplicaCoreOptions, ReplicaCoreStats } from './replica-stats.ts'
import { ReplicaVersions } from './replica-versions.ts'
export type { ReplicaCoreOptions, ReplicaCoreStats } from './replica-stats.ts'

/**
 * One replica: answers owners' requests for the entities of a partition (docs/replication.md,
 * steps 1–4 as a replica sees them). Requests of one entity are handled one at a time, in arrival
 * order; different entities' go concurrently, so their writes share the disk's group commit.
 * Every promise and record is durable before it is answered.
 */
export class ReplicaCore {
  readonly stats: ReplicaCoreStats = { fences: 0, appends: 0, records: 0, staleRefusals: 0, mismatches: 0, filled: 0, repaired: 0, rewritten: 0, trims: 0, truncated: 0, versionRefusals: 0 }
  readonly #storage: ReplicaStorage
  readonly #states = new Map<string, ReplicaState>()
  /** One entity's requests in turn. */
  readonly #turns = new EntityTurns()
  #retired = false
  #learner = false
  readonly #leases: ReplicaLeases
  /** Configuration versions by partition (docs/replication.md, "Roster versions"). */
  readonly versions: ReplicaVersions

  constructor (storage: ReplicaStorage, opts: ReplicaCoreOptions = {}) {
    this.#storage = storage
    this.versions = new ReplicaVersions(storage, opts.versionRaised)
    const clock = opts.clock ?? (() => performance.now())
    this.#leases = new ReplicaLeases({ leaseMs: opts.leaseMs ?? 0, clock, startedAt: opts.startedAt ?? clock() })
  }

  /**
   * A partition hand-off (roster/partition-hand-off.ts) retires the replica before its last
   * pulls: from then on it refuses appends and snapshots (ReplicaRetiredError, kind unavailable:
   * an owner whose view is older writes to the rest of its set), so nothing lands here after the
   * new replicas took everything. Fences, reads and summaries are still answered: owners read it
   * as a former holder. Undone when the node is a storage node again.
   */
  retire (on: boolean): void { this.#retired = on }

  get retired (): boolean { return this.#retired }

  /**
   * A new replica of the partition that has not yet caught up (roster/catch-up.ts;
   * docs/replication.md, "Replica moves") is a **learner**: it takes appends and promises epochs
   * like any replica, and says so in its fence answers, so that an owner does not take its log
   * for one that holds every record acknowledged before it joined: the owner then needs every
   * other replica of the set too. Undone once it pulled everything from the partition's other holders.
   */
  setLearner (on: boolean): void { this.#learner = on }

  get learner (): boolean { return this.#learner }

  /** Handles a request that was already checked (checkReplicaRequest): an owner of an older
   * configuration version is refused first (ReplicaVersions). */
  handle<R extends ReplicaRequest> (request: R): Promise<ReplyOf<R>> {
    return this.#turns.inTurn(request.entity, () => {
      const refusal = this.versions.check(request)
      if (refusal === undefined) return this.#handle(request)
      return Promise.resolve(refusal).then((r) => {
        if (r === undefined) return this.#handle(request)
        this.stats.versionRefusals++
        return r
      })
    }) as Promise<ReplyOf<R>>
  }

  /** The entity's durable state here: its log summary and whom its promise was made to. */
  state (entity: string): Promise<ReplicaState> {
    return this.#turns.inTurn(entity, () => this.#state(entity))
  }

  /** The durable states of several entities, those not in memory loaded together (anti-entropy
   * asks for a batch of differing entities at once); each in its entity's turn, as `state`. */
  states (entities: readonly string[]): Promise<ReplicaState[]> {
    return this.#turns.inTurns(entities, async () => {
      const storage = this.#storage
      const known = new Map<string, ReplicaState>()
      for (const entity of entities) {
        const cached = this.#states.get(entity)
        if (cached !== undefined) known.set(entity, cached)
      }
      const missing = [...new Set(entities.filter((entity) => !known.has(entity)))]
      if (missing.length <= 1 || storage.loadMany === undefined) return await Promise.all(entities.map((entity) => this.#state(entity)))
      const states = await storage.loadMany(missing)
      missing.forEach((entity, i) => {
        const state = states[i] ?? { summary: EMPTY_SUMMARY, promisedBy: '' }
        known.set(entity, state)
        this.#remember(entity, state)
      })
      return entities.map((entity) => known.get(entity) as ReplicaState)
    })
  }

  /** Anti-entropy's fill (docs/replication.md, step 5; replica-pulls.ts, fillChange): a peer's
   * records after this head, this log a prefix of the peer's, and the peer's promise when newer.
   * 'moved-on' when the log changed since the caller looked (the next pass looks again). */
  fill (entity: string, prevSeq: number, prevEpoch: number, records: readonly StoredRecord[], promise: { readonly epoch: number, readonly by: string }): Promise<'filled' | 'moved-on'> {
    return this.#turns.inTurn(entity, async () => {
      const st = this.#states.get(entity) ?? await this.#state(entity)
      const change = fillChange(entity, st, prevSeq, prevEpoch, records, promise)
      if (change === 'moved-on' || change === undefined) return change ?? 'filled'
      await this.#commit(entity, st, change)
      this.stats.filled += records.length
      return 'filled'
    })
  }

  /**
   * Repair (docs/replication.md, "Anti-entropy" and "Scrub"): puts back records of this replica's
   * log that are missing here or fail their seal, taken from a peer replica whose log agrees with
   * this one up to them (`peer` is its summary; by log matching, the same seq and epoch hold the
   * same record). Only seqs up to this head and to where the logs match, each of the epoch this log
   * has there; never over a record that reads correctly, never moving the head. Returns how many
   * were put.
   */
  repair (entity: string, records: readonly StoredRecord[], peer: LogSummary): Promise<number> {
    return this.#turns.inTurn(entity, async () => {
      const storage = this.#storage
      if (storage.repairRecords === undefined) return 0
      const st = this.#states.get(entity) ?? await this.#state(entity)
      const s = st.summary
      const upTo = Math.min(matchPoint(peer, s), s.head)
      // never below the floor: what a trim removed is not put back
      const fit = records.filter((r) => r.seq >= floorOf(s) && r.seq <= upTo && r.epoch >= 1 && (epochAt(s.segments, s.head, r.seq) ?? r.epoch) === r.epoch)
      if (fit.length === 0) return 0
      const put = await storage.repairRecords(entity, fit)
      // a record put back may be older than the rewrites this replica said it holds: it says none
      // until anti-entropy finds it equal to a peer (takeRevised)
      if (put.length > 0 && (s.revised ?? 0) > 0) await this.#commit(entity, st, { state: { ...st, summary: { ...s, revised: 0, revisedEpoch: 0 } } })
      this.stats.repaired += put.length
      return put.length
    })
  }

  /** Anti-entropy's adoption (docs/replication.md, step 6; replica-pulls.ts, adoptChange): this
   * log's tail after `match` (never acknowledged) gives way to a newer peer log's records from
   * `match + 1` on. 'moved-on' when the log changed since the caller looked. */
  adopt (entity: string, match: number, matchEpoch: number, peerHeadEpoch: number, records: readonly StoredRecord[], promise: { readonly epoch: number, readonly by: string }): Promise<'adopted' | 'moved-on'> {
    return this.#turns.inTurn(entity, async () => {
      const st = this.#states.get(entity) ?? await this.#state(entity)
      const change = await adoptChange(entity, st, { match, matchEpoch, peerHeadEpoch, records, promise }, async (seq) => await this.#epochOf(entity, st.summary, seq))
      if (change === 'moved-on') return change
      await this.#commit(entity, st, change)
      this.stats.filled += records.length
      return 'adopted'
    })
  }

  /** Anti-entropy (docs/replication.md, "Rewrites and trims"): a peer's higher floor, with its
   * snapshot covering it (replica-edits.ts, trimChange; `prevEpoch`: the peer's epoch at
   * `floor − 1`, undefined when unknown: then only a log that reaches it takes it). */
  takeFloor (entity: string, floor: number, prevEpoch: number | undefined, snapshot: StoredSnapshot): Promise<boolean> {
    return this.#turns.inTurn(entity, async () => {
      const st = this.#states.get(entity) ?? await this.#state(entity)
      const s = st.summary
      if (floor <= floorOf(s) || snapshot.seq < floor - 1) return false
      // (a log that does not reach floor − 1 takes the peer's epoch there as its head's)
      if (prevEpoch === undefined && s.head < floor - 1) return false
      const change = trimChange(st, { before: floor, prevEpoch: prevEpoch ?? s.headEpoch, snapshot }, undefined)
      if (change === 'no-snapshot' || change === undefined) return false
      await this.#commit(entity, st, change)
      this.stats.trims++
      return true
    })
  }

  /** Anti-entropy: the peer's rewrite generation (LogSummary.revised), once `same` says this replica
   * holds exactly the peer's records of the entity (asked in the entity's turn). */
  takeRevised (entity: string, revised: Generation, same: () => Promise<boolean>): Promise<boolean> {
    return this.#turns.inTurn(entity, async () => {
      const st = this.#states.get(entity) ?? await this.#state(entity)
      if (!genAfter(revised, revisedOf(st.summary)) || !await same()) return false
      await this.#commit(entity, st, { state: { ...st, summary: { ...st.summary, revised: revised.gen, revisedEpoch: revised.epoch } } })
      return true
    })
  }

  /** (Not async: each request's promise is its operation's own, one promise and one turn fewer.) */
  #handle (request: ReplicaRequest): Promise<unknown> {
    if (this.#retired && (request.op === 'append' || request.op === 'append-sealed' || request.op === 'truncate' || request.op === 'save-snapshot' || request.op === 'rewrite' || request.op === 'trim')) return Promise.reject(new ReplicaRetiredError(request.entity))
    switch (request.op) {
      case 'fence': return this.#fence(request.entity, request.epoch, request.activation)
      case 'append': return this.#append(request)
      case 'append-sealed': return this.#append(sealedAsAppend(request))
      case 'truncate':
      case 'rewrite':
      case 'trim': return this.#edit(request)
      case 'read': return this.#read(request.entity, request.from, request.limit)
      case 'summary': return this.#summary(request.entity)
      case 'save-snapshot': return this.#saveSnapshot(request.entity, request.epoch, request.snapshot, request.replace === true)
      case 'load-snapshot': return this.#loadSnapshot(request.entity)
      case 'lease': return this.#lease(request)
      case 'release':
        this.#leases.release(request.entity, request.holder)
        return Promise.resolve({ result: 'ok' })
    }
  }

  async #summary (entity: string): Promise<LogSummary> {
    return (this.#states.get(entity) ?? await this.#state(entity)).summary
  }

  async #loadSnapshot (entity: string): Promise<StoredSnapshot | null> {
    return (await this.#storage.loadSnapshot(entity)) ?? null
  }

  /** Records from `from` on; none when `from` is below the floor (trimmed: the reader asks from the
   * floor, which the summaries tell). */
  async #read (entity: string, from: number, limit: number): Promise<StoredRecord[]> {
    if (from < floorOf(((this.#states.get(entity) ?? await this.#state(entity))).summary)) return []
    return await this.#storage.read(entity, from, limit)
  }

  /** The records from `from` on as the store keeps them (ReplicaStorage.readPacked), none below the
   * floor as `read`; undefined where the storage keeps none that way (the reader takes `read`). */
  async readPacked (entity: string, from: number, limit: number): Promise<PackedRecord[] | undefined> {
    if (this.#storage.readPacked === undefined) return undefined
    return from < floorOf(((this.#states.get(entity) ?? await this.#state(entity))).summary) ? [] : await this.#storage.readPacked(entity, from, limit)
  }

  /** An owner's epoch against this replica's promise: 'stale' for an older one (or, never with a
   * correct owner, the same from another activation); the state with the promise raised for a newer
   * one (written with the change, as an append does); undefined for the one promised. */
  #fenced (st: ReplicaState, epoch: number, activation: string): 'stale' | ReplicaState | undefined {
    const s = st.summary
    if (epoch < s.promised || (epoch === s.promised && activation !== st.promisedBy)) return 'stale'
    return epoch > s.promised ? { summary: { ...s, promised: epoch }, promisedBy: activation } : undefined
  }

  /** A rewrite or a trim (docs/replication.md, "Rewrites and trims"), fenced as an append is:
   * records of the same seq and epoch with a higher revision take the place of those held, or the
   * records below `before` go once a snapshot covering them is held. Durable before it is answered. */
  async #edit (request: Extract<ReplicaRequest, { op: 'rewrite' | 'trim' | 'truncate' }>): Promise<RewriteReply | TrimReply | AppendReply> {
    const { entity } = request
    const st = this.#states.get(entity) ?? await this.#state(entity)
    const raised = this.#fenced(st, request.epoch, request.activation)
    if (raised === 'stale') {
      if (request.op === 'truncate') this.stats.staleRefusals++
      return { result: 'stale', promised: st.summary.promised }
    }
    const rewritten = request.op === 'rewrite' ? await rewriteChange(st, request, async (seqs) => await Promise.all(seqs.map(async (seq) => seq > st.summary.head ? undefined : (await this.#storage.read(entity, seq, 1))[0])), raised) : undefined
    // (truncate: replica-edits.ts truncateChange, an owner with nothing more to send)
    const change = request.op === 'rewrite'
      ? rewritten?.change
      : request.op === 'trim' ? trimChange(st, request, raised) : await truncateChange(st, request, async (seq) => await this.#epochOf(entity, st.summary, seq), raised)
    if (change === 'no-snapshot' || change === 'mismatch') {
      if (change === 'mismatch') this.stats.mismatches++
      return { result: change, summary: st.summary }
    }
    if (change !== undefined) {
      await this.#commit(entity, st, change)
      if (raised !== undefined) this.#leases.end(entity)
      this.stats.rewritten += change.replace?.length ?? 0
      if (change.removeBelow !== undefined) this.stats.trims++
      if (change.removeFrom !== undefined) this.stats.truncated += Math.max(0, st.summary.head - change.removeFrom + 1)
    }
    const summary = change?.state.summary ?? st.summary
    return request.op === 'rewrite' ? { result: 'ok', summary, kept: change?.replace?.length ?? 0, whole: rewritten?.whole === true } : { result: 'ok', summary }
  }

  async #lease (request: Extract<ReplicaRequest, { op: 'lease' }>): Promise<LeaseReply> {
    const { entity, epoch, activation, holder } = request
    const st = this.#states.get(entity) ?? await this.#state(entity)
    const raised = this.#fenced(st, epoch, activation)
    if (raised === 'stale') return { result: 'stale', promised: st.summary.promised }
    if (raised !== undefined) {
      // as an append of this epoch would (an owner moved to a new replica by a roster change):
      // the promise is raised, durably, before the lease is granted
      await this.#commit(entity, st, { state: raised })
      this.#leases.end(entity)
    }
    this.#leases.grant(entity, epoch, holder, activation)
    return { result: 'ok' }
  }

  /** (Callers take one in memory without it: `#states.get(entity) ?? await #state(entity)`, a turn fewer.) */
  async #state (entity: string): Promise<ReplicaState> {
    const cached = this.#states.get(entity)
    if (cached !== undefined) return cached
    const loaded = await this.#storage.load(entity) ?? { summary: EMPTY_SUMMARY, promisedBy: '' }
    this.#remember(entity, loaded)
    return loaded
  }

  async #commit (entity: string, previous: ReplicaState, change: ReplicaChange): Promise<void> {
    // the cache changes only once the change is durable: a failed write leaves what the disk has
    await this.#storage.write(entity, previous.summary.head, change)
    this.#remember(entity, change.state)
  }

  async #fence (entity: string, epoch: number, activation: string): Promise<FenceReply> {
    this.stats.fences++
    const st = this.#states.get(entity) ?? await this.#state(entity)
    const promised = st.summary.promised
    if (epoch === promised && activation === st.promisedBy) {
      this.#leases.grant(entity, epoch, activation, activation)
      return this.#promised(st.summary)
    }
    if (epoch <= promised) return { ok: false, promised }
    // another owner's lease here: not before it ends (the promise stays as it is)
    const wait = this.#leases.wait(entity, promised, activation)
    if (wait > 0) return { ok: false, promised, leaseMs: Math.ceil(wait) }
    const next: ReplicaState = { summary: { ...st.summary, promised: epoch }, promisedBy: activation }
    await this.#commit(entity, st, { state: next })
    // (a lease of an older epoch ends with its promise)
    this.#leases.end(entity)
    // a promise is a lease too: the new owner serves its first reads without another round
    this.#leases.grant(entity, epoch, activation, activation)
    return this.#promised(next.summary)
  }

  #promised (summary: LogSummary): FenceReply {
    // read after the write: a replica that caught up meanwhile answers as one
    return this.#learner ? { ok: true, summary, learner: true } : { ok: true, summary }
  }

  #append (request: Extract<ReplicaRequest, { op: 'append' }>): Promise<AppendReply> {
    this.stats.appends++
    const st = this.#states.get(request.entity)
    // the usual append is decided and written without a turn of its own
    const plan = st === undefined ? undefined : appendAtHead(st, request)
    return st === undefined || plan === undefined ? this.#appendAny(request) : this.#appended(request, st, plan)
  }

  async #appendAny (request: Extract<ReplicaRequest, { op: 'append' }>): Promise<AppendReply> {
    const { entity } = request
    const st = this.#states.get(entity) ?? await this.#state(entity)
    const plan = await planAppend(st, request, async (seq) => await this.#epochOf(entity, st.summary, seq))
    return await this.#appended(request, st, plan)
  }

  #appended (request: Extract<ReplicaRequest, { op: 'append' }>, st: ReplicaState, plan: AppendPlan): Promise<AppendReply> {
    const { entity, epoch, activation } = request
    switch (plan.kind) {
      case 'stale':
        this.stats.staleRefusals++
        return Promise.resolve({ result: 'stale', promised: st.summary.promised })
      case 'mismatch':
        this.stats.mismatches++
        return Promise.resolve({ result: 'mismatch', summary: st.summary })
      case 'held':
        if (request.holder !== undefined) this.#leases.grant(entity, epoch, request.holder, activation)
        return Promise.resolve({ result: 'ok', summary: st.summary })
      case 'write':
        // (as #commit: the cache changes only once the change is durable)
        return this.#storage.write(entity, st.summary.head, plan.change).then(() => {
          this.#remember(entity, plan.change.state)
          this.stats.records += plan.records
          if (plan.raise) this.#leases.end(entity)
          if (request.holder !== undefined) this.#leases.grant(entity, epoch, request.holder, activation)
          return { result: 'ok', summary: plan.summary }
        })
    }
  }

  async #saveSnapshot (entity: string, epoch: number, snapshot: StoredSnapshot, replace: boolean): Promise<SaveSnapshotReply> {
    const st = this.#states.get(entity) ?? await this.#state(entity)
    if (epoch < st.summary.promised) return { result: 'stale', promised: st.summary.promised }
    if (snapshot.seq <= st.summary.snapshotSeq && !replace) return { result: 'ok' }
    const next: ReplicaState = { summary: { ...st.summary, snapshotSeq: snapshot.seq }, promisedBy: st.promisedBy }
    await this.#commit(entity, st, { state: next, snapshot })
    return { result: 'ok' }
  }

  /** The epoch of the record at seq (≤ head): from the summary, or the record when it is older. */
  async #epochOf (entity: string, s: LogSummary, seq: number): Promise<number | undefined> {
    const known = epochAt(s.segments, s.head, seq)
    if (known !== undefined) return known
    const [rec] = await this.#storage.read(entity, seq, 1)
    return rec?.seq === seq ? rec.epoch : undefined
  }

  #remember (entity: string, state: ReplicaState): void {
    // (an entity already held keeps its place: the cache forgets the one loaded first, which costs
    // one read if it is still in use, where moving each entity to the end cost a delete and a
    // rehash of the map on every write)
    if (this.#states.has(entity)) {
      this.#states.set(entity, state)
      return
    }
    if (this.#states.size >= STATE_CACHE) {
      const oldest = this.#states.keys().next()
      if (oldest.done !== true) this.#states.delete(oldest.value)
    }
    this.#states.set(entity, state)
  }
}
