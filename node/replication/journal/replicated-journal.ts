import { randomUUID } from 'node:crypto'
import type { EntityJournal, Journal } from '../../../actors/index.ts'
import { ownerOf } from './journal-owner.ts'
import type { OpenLog, OwnerDeps, ReplicationStats } from './journal-owner.ts'
import { VersionPlans } from './partition-versions.ts'
import type { PartitionVersions } from './partition-versions.ts'
import type { Candidate } from '../../mesh/index.ts'
import { DEFAULT_APPEND_TIMEOUT_MS, DEFAULT_REPLICATION_FACTOR, MAX_CONCURRENT_OPENS, TAKEN_TICKETS } from '../constants.ts'
import { EntityLog } from './entity-log.ts'
import { checkLogTicket } from './log-ticket.ts'
import { fenceTargets, versionedTargets } from './fence-targets.ts'
import { followVersion } from './log-move.ts'
import { earlierWriteQuorum, sameNodes } from './quorum.ts'
import type { FenceTargets } from './fence-targets.ts'
import type { OlderSet } from './entity-log-options.ts'
import type { LogTicket } from './log-ticket.ts'
import { LeaseBatches } from './lease-batches.ts'
import type { BatchItem, BatchItemOutcome } from '../replica/replica-batch.ts'
import type { OwnerEnv, OwnerLog } from './owner-env.ts'
import { VERSIONED_OPS } from '../replica/replica-protocol.ts'
import type { LeaseOptions } from './owner-lease.ts'
import { ReplicasUnavailableError } from '../errors.ts'
import { viewKey, withReplans } from './take-view.ts'
import { TriedEpochs } from './tried-epochs.ts'
import type { LevelReplicaStorage } from '../replica/level-replica-storage.ts'
import { replicasOf } from '../partitioning.ts'
import { Placements } from './placements.ts'
import type { PartitionPlacement } from './placements.ts'
import { ReplicaCore } from '../replica/replica-core.ts'
import type { ReplicaRequest, ReplyOf } from '../replica/replica-protocol.ts'
import type { PackedRecord } from '../replica/replica-storage.ts'
import type { Spans } from '../../tracing/index.ts'

export type { PartitionPlacement } from './placements.ts'
export type { ReplicationStats } from './journal-owner.ts'

export interface ReplicatedJournalOptions {
  /** This node's peer id. */
  readonly self: string
  /** This node's replicas (used for every partition this node holds). */
  readonly storage: LevelReplicaStorage
  /** The storage nodes of the cluster (the roster): replicas are chosen among them. */
  readonly roster: () => readonly Candidate[]
  /** Every storage node known, leaving ones included (fence-targets.ts). @default roster */
  readonly known?: () => readonly Candidate[]
  /** The members heard and not down: other nodes are fenced only when among them. @default all */
  readonly live?: () => ReadonlySet<string>
  /** Known storage nodes whose records are all held elsewhere (replaced; leaving and down): not
   * counted as possible holders that did not answer (EntityLogOptions.absentHolders). @default none */
  readonly holdsNothing?: (peerId: string) => boolean
  /** Known storage nodes replaced: lost for good, left out of earlier sets as forgotten ones are. */
  readonly replaced?: (peerId: string) => boolean
  /** A partition's recorded former holders (StorageRoster.formerHolders); undefined: not known,
   * every live storage node is fenced. @default none known */
  readonly formerHolders?: (partition: number) => readonly string[] | undefined
  /** An activation found every replica of `partition` whole, having fenced `released` too. */
  readonly settled?: (partition: number, released: readonly string[]) => void
  /** config `replication-factor` (@default 3): fewer when the roster is smaller. */
  readonly replicationFactor?: number
  /** config `write-quorum` (@default a majority of the replicas). */
  readonly writeQuorum?: number
  /** Sends a request to the shard holder of `partition` on another node (the mesh). */
  readonly remote: <R extends ReplicaRequest>(node: string, partition: number, request: R) => Promise<ReplyOf<R>>
  /** Sends many entities' lease requests to another node in one message (its replica-batch
   * actor), each item's answer checked. Absent: each goes on its own through `remote`. */
  readonly remoteLeases?: (node: string, items: readonly BatchItem[]) => Promise<readonly BatchItemOutcome[]>
  /** @default DEFAULT_APPEND_TIMEOUT_MS */
  readonly appendTimeoutMs?: number
  readonly stats?: ReplicationStats
  /** Owners' leases (config lease-ms, max-clock-drift; docs/replication.md, "Leases"): this node's
   * replicas grant them and its owners hold them. Undefined: none (a node alone, whose owners and
   * replicas are this one process: reads are served from memory without asking anyone). */
  readonly lease?: LeaseOptions
  /** Where owners say, at debug, what their fences and appends waited for. */
  readonly log?: OwnerLog
  /** Spans of appends inside a recorded trace: each owner's append to each replica
   * (journal.append), and each replica's write (replica.append). @default none */
  readonly spans?: Spans
  /** The wall clock epochs are drawn from (tests). @default Date.now */
  readonly now?: () => number
  /** Each partition's configuration version, carried by owners here (docs/replication.md, "Roster
   * versions"): a take is planned under it and plans again when it moves. @default none carried */
  readonly versions?: PartitionVersions
  /** How long a take waits for its node's versions (tests). @default VERSION_WAIT_MS */
  readonly versionWaitMs?: number
  /** config versioned-fences: an owner under a configuration version whose earlier sets this node
   * knows fences them and its set, not every storage node, and an open log follows its partition's
   * move (log-move.ts). @default false */
  readonly versionedFences?: boolean
}

/**
 * The node's Journal (actors/kernel/journal.ts) on replicated partitions: an entity's journal
 * lives on the R replicas of its partition; each activation fences, recovers and writes with an
 * EntityLog (docs/replication.md). This node's own replicas (shard holders) are `cores`, reached
 * directly; other nodes' through the mesh. One node alone is R = 1, W = 1, this same code.
 */
export class ReplicatedJournal implements Journal {
  readonly #opts: ReplicatedJournalOptions
  readonly #cores = new Map<number, ReplicaCore>()
  readonly #env: Omit<OwnerEnv, 'call'>
  /** This node's owners' lease requests to other nodes, a message per node and turn. */
  readonly #leaseBatches: LeaseBatches | undefined
  #opening = 0
  /** The open activations' logs (rosterChanged moves them to their partition's new replicas). */
  readonly #logs = new Set<OpenLog>()
  /** The configuration version each take is planned under (partition-versions.ts). */
  readonly #plans: VersionPlans
  /** What every owner here shares (journal-owner.ts). */
  readonly #deps: OwnerDeps
  readonly #waitingToOpen: Array<() => void> = []
  /** Each partition's replicas for the roster whose signature is `key` (see placement). */
  readonly #placements = new Placements()
  /** Ids of the hand-over tickets taken here, oldest first. */
  readonly #taken = new Set<string>()
  /** The epochs this node's takes tried (a take never tries one again). */
  readonly #tried = new TriedEpochs()

  /** When this process started, on the leases' clock (a replica's grants do not survive it). */
  readonly #startedAt = performance.now()

  constructor (opts: ReplicatedJournalOptions) {
    this.#opts = opts
    this.#env = {
      // leases are measured on the monotonic clock, epochs drawn from the wall clock
      clock: () => performance.now(),
      timer: (ms, fn) => {
        const t = setTimeout(fn, ms)
        // retries and deadlines never hold a stopping process open
        t.unref()
        return () => { clearTimeout(t) }
      },
      random: Math.random,
      now: opts.now ?? Date.now
    }
    this.#plans = new VersionPlans(opts.versions, {
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => { setTimeout(resolve, ms).unref() }),
      ...(opts.versionWaitMs !== undefined && { waitMs: opts.versionWaitMs })
    })
    this.#deps = {
      self: opts.self,
      env: this.#env,
      call: (partition, node, request) => this.#ownerCall(partition, node, request),
      ...(opts.live !== undefined && { live: opts.live }),
      ...(opts.spans !== undefined && { spans: opts.spans }),
      ...(opts.stats !== undefined && { stats: opts.stats }),
      ...(opts.lease !== undefined && { lease: opts.lease }),
      ...(opts.log !== undefined && { log: opts.log }),
      appendTimeoutMs: opts.appendTimeoutMs ?? DEFAULT_APPEND_TIMEOUT_MS,
      plans: this.#plans,
      logs: this.#logs,
      follow: (open) => { this.#follow(open) }
    }
    const remoteLeases = opts.remoteLeases
    this.#leaseBatches = remoteLeases === undefined
      ? undefined
      : new LeaseBatches({
        send: remoteLeases,
        single: (node, partition, request) => opts.remote(node, partition, request),
        defer: (fn) => { setImmediate(fn) },
        clock: () => performance.now()
      })
  }

  get partitions (): number { return this.#opts.storage.partitions }

  /** This node's peer id: the node whose replicas `call` reaches without a hop. */
  get self (): string { return this.#opts.self }

  /** This node's replicas. */
  get storage (): LevelReplicaStorage { return this.#opts.storage }

  /** What this node's replicas did, summed over its partitions (metrics). */
  replicaStats (): { fences: number, appends: number, records: number, staleRefusals: number, mismatches: number, rewritten: number, trims: number, truncated: number, versionRefusals: number } {
    const sum = { fences: 0, appends: 0, records: 0, staleRefusals: 0, mismatches: 0, rewritten: 0, trims: 0, truncated: 0, versionRefusals: 0 }
    for (const core of this.#cores.values()) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += core.stats[k]
    return sum
  }

  /** Asks the replica of the entity's partition on `node` (this node's own, or another's over
   * the mesh): what scrub's repairs read from a healthy copy. */
  call<R extends ReplicaRequest> (node: string, request: R): Promise<ReplyOf<R>> {
    const partition = this.#opts.storage.partitionOf(request.entity)
    return node === this.#opts.self ? this.core(partition).handle(request) : this.#opts.remote(node, partition, request)
  }

  /** This node's own replica's records of `entity` from `from` on, as stored (ReplicaCore.readPacked):
   * an export's JSON made from their bytes; undefined where this node's storage keeps none that way. */
  async readPacked (entity: string, from: number, limit: number): Promise<PackedRecord[] | undefined> {
    return await this.core(this.#opts.storage.partitionOf(entity)).readPacked(entity, from, limit)
  }

  /** A packed record's event, decoded (for one the reader could not make from its bytes). */
  packedEvent (_entity: string, record: PackedRecord): unknown { return this.#opts.storage.packedEvent(record) }

  /**
   * A request for this node's replica of `partition`, from an owner here or another node's (its
   * shard holder): an append inside a recorded trace is a span, `replica.append`, which ends once
   * its records are stored (fsynced, with journal-sync on: the store's group commit).
   */
  serve<R extends ReplicaRequest> (partition: number, request: R): Promise<ReplyOf<R>> {
    const spans = this.#opts.spans
    if (spans === undefined || request.op !== 'append' || !spans.recording()) return this.core(partition).handle(request)
    const { records, epoch } = request as Extract<ReplicaRequest, { op: 'append' }>
    const attrs = { 'plexi.entity': request.entity, 'plexi.partition': partition, 'plexi.epoch': epoch, 'plexi.records': records.length, 'plexi.seq': records[0]?.seq, 'plexi.node': this.#opts.self }
    return spans.span('replica.append', attrs, async () => await this.core(partition).handle(request))
  }

  /** An owner's request to the replica on `node` (this node's own directly): an append inside a
   * recorded trace is a client span, `journal.append`, from its sending to the replica's answer. */
  #ownerCall<R extends ReplicaRequest> (partition: number, node: string, request: R): Promise<ReplyOf<R>> {
    if (node !== this.#opts.self && this.#leaseBatches !== undefined && (request.op === 'lease' || request.op === 'release')) {
      return this.#leaseBatches.call(node, partition, request as Extract<ReplicaRequest, { op: 'lease' | 'release' }>) as Promise<ReplyOf<R>>
    }
    const call = (): Promise<ReplyOf<R>> => node === this.#opts.self ? this.serve(partition, request) : this.#opts.remote(node, partition, request)
    const spans = this.#opts.spans
    if (spans === undefined || request.op !== 'append' || !spans.recording()) return call()
    const { records, epoch } = request as Extract<ReplicaRequest, { op: 'append' }>
    const attrs = { 'plexi.entity': request.entity, 'plexi.replica': node, 'plexi.epoch': epoch, 'plexi.records': records.length, 'plexi.seq': records[0]?.seq }
    return spans.span('journal.append', attrs, call, { role: 'client' })
  }

  /** The replica of `partition` on this node (the shard holder's core). */
  core (partition: number): ReplicaCore {
    let core = this.#cores.get(partition)
    if (core === undefined) {
      core = new ReplicaCore(this.#opts.storage, { leaseMs: this.#opts.lease?.ms ?? 0, clock: () => performance.now(), startedAt: this.#startedAt })
      this.#cores.set(partition, core)
    }
    return core
  }

  /** The replicas of a partition now, and the write quorum they use (kept while the roster stays
   * the same: placements.ts). */
  placement (partition: number): PartitionPlacement {
    return this.placements()(partition)
  }

  /** Any partition's placement under the roster as it is now, looked at once: what asks for every
   * partition at a time (a search plans all of them) reads the roster once, not per partition. */
  placements (): (partition: number) => PartitionPlacement {
    return this.#placements.under(this.#opts.roster(), this.#opts.replicationFactor ?? DEFAULT_REPLICATION_FACTOR, this.#opts.writeQuorum)
  }

  /**
   * The roster changed (a storage node joined): every open journal whose partition's replicas are
   * not the ones it writes to any more is reconfigured to them (docs/replication.md, "Roster
   * changes"), so that an activation opened on a smaller roster neither acknowledges at the old,
   * smaller quorum nor leaves its records only on nodes that are no longer replicas.
   */
  rosterChanged (): number {
    let moved = 0
    for (const open of this.#logs) if (this.#follow(open)) moved++
    return moved
  }

  /** An open log whose partition's configuration version moved follows it (log-move.ts,
   * followVersion); one that carries no version moves to the partition's replicas in place. */
  #follow (open: OpenLog): boolean {
    const { log, partition, carried } = open
    const version = this.#plans.current(partition)
    if (this.#opts.versionedFences === true && carried.version !== undefined && (version !== carried.version || log.moving)) {
      return followVersion(open, version, (v) => ({ ...this.placement(partition), targets: this.#fenceTargets(partition, this.placement(partition).replicas, v), env: { ...this.#env, call: (node, request) => this.#ownerCall(partition, node, request) } as OwnerEnv }))
    }
    if (version !== undefined && carried.version !== undefined && version > carried.version) carried.version = version
    const target = this.placement(partition)
    if (target.writeQuorum === log.writeQuorum && log.replicas.length === target.replicas.length && target.replicas.every((n) => log.replicas.includes(n))) return false
    log.reconfigure(target.replicas, target.writeQuorum)
    return true
  }

  /** What a take of `partition` is planned on (take-view.ts): its placement and the nodes it fences
   * (the configuration version it carries is VersionPlans.stale's to compare). */
  #view (partition: number): string { return viewKey(this.placement(partition), (this.#opts.known ?? this.#opts.roster)()) }

  /** A request of VERSIONED_OPS with the partition's configuration version here (the backup's
   * journal rewrite writes as an owner does; undefined: the version is not known: none carried). */
  versioned<R extends ReplicaRequest> (partition: number, request: R): R {
    const version = this.#plans.current(partition)
    return version === undefined || !VERSIONED_OPS.has(request.op) ? request : { ...request, version }
  }

  /** Whom an activation of `partition` fences besides its replicas (fence-targets.ts): under a
   * configuration version whose earlier sets this node knows, those not settled; else the recorded
   * former holders and the node ranked next, or every live storage node where none are recorded. */
  #fenceTargets (partition: number, replicas: readonly string[], version: number | undefined): FenceTargets & { readonly olderSets?: readonly OlderSet[] } {
    const { self, live, holdsNothing } = this.#opts
    const earlier = this.#opts.versionedFences === true && version !== undefined ? this.#plans.earlierOf(partition, version) : undefined
    if (earlier !== undefined) {
      const w = this.placement(partition).writeQuorum
      const known = new Set((this.#opts.known ?? this.#opts.roster)().map((c) => c.peerId))
      return versionedTargets({ self, replicas, live: live?.(), known, holdsNothing, replaced: this.#opts.replaced, earlier: earlier.map((set) => ({ nodes: set.nodes, writeQuorum: earlierWriteQuorum(set, w, this.#opts.writeQuorum) })) })
    }
    const recorded = this.#opts.formerHolders?.(partition)
    const next = recorded === undefined ? undefined : replicasOf(partition, this.#opts.roster(), replicas.length + 1).find((n) => !replicas.includes(n))
    return fenceTargets({ self, replicas, known: (this.#opts.known ?? this.#opts.roster)().map((c) => c.peerId), live: live?.(), holdsNothing, recorded, next })
  }

  /** How far an entity's journal got: the highest head its replicas that answer report (0: none). */
  async head (entityId: string): Promise<number> {
    const partition = this.#opts.storage.partitionOf(entityId)
    const heads = await Promise.all(this.placement(partition).replicas.map(async (node) => {
      const request = { op: 'summary', entity: entityId } as const
      try {
        const summary = node === this.#opts.self ? await this.core(partition).handle(request) : await this.#opts.remote(node, partition, request)
        return summary.head
      } catch {
        return 0
      }
    }))
    return Math.max(0, ...heads)
  }

  /**
   * Takes an entity's journal; at most MAX_CONCURRENT_OPENS at once on this node. With `handedOver`
   * (what the entity's previous activation handed over as it moved live: EntityJournal.handOver), the
   * journal goes on from that activation's hold, without a fence or a recovery, when the ticket fits
   * this node's view and was not taken before; otherwise it is opened as any (a fence, which stops
   * whatever may still hold it).
   */
  async open (entityId: string, handedOver?: unknown, signal?: AbortSignal): Promise<EntityJournal> {
    if (handedOver !== undefined) {
      const resumed = this.#resume(entityId, handedOver)
      if (resumed !== undefined) return resumed
    }
    if (this.#opening >= MAX_CONCURRENT_OPENS) await new Promise<void>((resolve) => { this.#waitingToOpen.push(resolve) })
    else this.#opening++
    try {
      return await this.#open(entityId, signal)
    } finally {
      // the slot passes straight to the next in line, if any
      const next = this.#waitingToOpen.shift()
      if (next !== undefined) next()
      else this.#opening--
    }
  }

  /** Opens waiting for a slot (admin, metrics). */
  get opensWaiting (): number { return this.#waitingToOpen.length }

  /** Takes the journal, again under the new view when the roster changes meanwhile (take-view.ts). */
  async #open (entityId: string, signal: AbortSignal | undefined): Promise<EntityJournal> {
    if (this.#opts.stats !== undefined) this.#opts.stats.opens++
    return await withReplans(entityId, async () => await this.#openOnce(entityId, signal), this.#opts.log)
  }

  async #openOnce (entityId: string, signal: AbortSignal | undefined): Promise<EntityJournal> {
    const partition = this.#opts.storage.partitionOf(entityId)
    const version = await this.#plans.plan(entityId, partition)
    const { replicas, writeQuorum } = this.placement(partition)
    if (replicas.length === 0) throw new ReplicasUnavailableError(entityId, 'a journal', 1, 0, 'no member holds the storage role')
    const owner = ownerOf(this.#deps, partition, version)
    const view = this.#view(partition)
    const take = async (): Promise<EntityLog> => {
      const targets = this.#fenceTargets(partition, replicas, version)
      // every replica found whole: what the former holders fenced held is on the replicas now
      const onWhole = this.#opts.settled === undefined ? undefined : () => { this.#opts.settled?.(partition, targets.formerHolders) }
      const tried = { minEpoch: this.#tried.floor(entityId), tried: (epoch: number) => { this.#tried.tried(entityId, epoch) } }
      const taken = await EntityLog.open({ ...owner.options(entityId, replicas, writeQuorum), ...targets, ...tried, activation: randomUUID(), stale: () => this.#view(partition) !== view || this.#plans.stale(partition, version), ...(signal !== undefined && { signal }), ...(onWhole !== undefined && { onWhole }) })
      this.#opts.log?.debug({ entity: entityId, epoch: taken.epoch, head: taken.head }, `${entityId}: journal taken at epoch ${taken.epoch}, ${taken.head} records recovered`)
      return taken
    }
    // (a span of its own where a trace is recorded, or as the sampler decides: a failover's
    // recoveries on the new owner are traces of their own when no client's message started them)
    const spans = this.#opts.spans
    const log = spans === undefined || !spans.on
      ? await take()
      : await spans.span('entity.recover', { 'plexi.entity': entityId, 'plexi.partition': partition, 'plexi.replicas': replicas.join(','), 'plexi.write_quorum': writeQuorum }, take,
        { root: true, resultAttrs: (l: EntityLog) => ({ 'plexi.epoch': l.epoch, 'plexi.head': l.head, 'plexi.recovered': l.head > 0 }) })
    if (this.#opts.stats !== undefined && log.head > 0) this.#opts.stats.recoveries++
    return owner.journal(log)
  }

  /** Goes on from a hand-over's ticket (undefined: it does not fit, open the journal instead). */
  #resume (entityId: string, handedOver: unknown): EntityJournal | undefined {
    const stats = this.#opts.stats
    const ticket = ((): LogTicket | undefined => { try { return checkLogTicket(handedOver) } catch { return undefined } })()
    const partition = this.#opts.storage.partitionOf(entityId)
    const current = this.#plans.current(partition)
    // (one of an older version than this node's goes on under its own set and moves at once, as a log
    // open here does as the node applies it: #follow; a newer one, or none known, fits not: resumedInit)
    // (and only with the set the partition had under it, as this node's roster records it: a peer's
    // ticket names its replicas, and a set not recorded, or settled since, is fenced instead)
    const older = ticket?.version !== undefined && current !== undefined && ticket.version < current &&
      (this.#plans.earlierOf(partition, current) ?? []).some((e) => e.version === ticket.version && sameNodes(e.nodes, ticket.replicas.map((r) => r.node)))
    const { replicas, writeQuorum } = older ? { replicas: ticket.replicas.map((r) => r.node), writeQuorum: ticket.writeQuorum } : this.placement(partition)
    const owner = ownerOf(this.#deps, partition, older ? ticket.version : current)
    const log = ticket === undefined || this.#taken.has(ticket.id) ? undefined : EntityLog.resume(owner.options(entityId, replicas, writeQuorum), ticket)
    if (log === undefined) {
      if (stats !== undefined) stats.handOversRefused++
      return undefined
    }
    this.#taken.add((ticket as LogTicket).id)
    if (this.#taken.size > TAKEN_TICKETS) this.#taken.delete(this.#taken.values().next().value as string)
    if (stats !== undefined) stats.handOvers++
    return owner.journal(log)
  }
}
