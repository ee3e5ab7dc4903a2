import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import { LOGGED_PARTITIONS, WRITE_QUORUM_CHECK_MS } from '../constants.ts'
import { ReplicasUnavailableError, replicasReachable } from '../errors.ts'
import { serviceLog } from '../service-log.ts'
import { fenceQuorum } from './quorum.ts'
import type { PartitionPlacement } from './replicated-journal.ts'

export interface WriteQuorumOptions {
  readonly self: string
  readonly partitions: number
  /** A partition's replicas now and their write quorum (ReplicatedJournal.placement). */
  readonly placement: (partition: number) => PartitionPlacement
  readonly partitionOf: (entityId: string) => number
  /** The other members heard and not down (this node counts as up whatever it says). */
  readonly live: () => Iterable<string>
  readonly log: { warn (obj: object, msg: string): void }
  /** The roster does not follow roles (a node alone, without a cluster key, keeps every journal
   * itself): taking the storage role away costs no quorum. @default false */
  readonly fixedRoster?: boolean
  /** @default WRITE_QUORUM_CHECK_MS */
  readonly intervalMs?: number
  /** Where the loop's failed checks are counted (one per node, shared by its services).
   * @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
}

/** The cluster's write quorum as this node sees it (GET /api/v1/cluster `writes`). */
export interface WriteQuorumState {
  /** Every partition has the replicas up that taking an entity and writing to it need. */
  readonly available: boolean
  /** Replicas a write needs: the write quorum, or the fence quorum where that is more (docs/replication.md). */
  readonly needed: number
  /** write-quorum W of the replicas in use */
  readonly writeQuorum: number
  /** Replicas per partition in use: replication-factor, or fewer while fewer storage nodes are known. */
  readonly replicas: number
  /** Storage nodes that hold replicas (the roster placement uses), and how many of them are up. */
  readonly storageNodes: number
  readonly storageUp: number
  readonly partitions: number
  /** Partitions with fewer replicas up than `needed`: their entities take no write. */
  readonly unavailablePartitions: number
  /** The storage nodes that are down, by peer id. */
  readonly down: readonly string[]
}

/** What an admin's change would do to the write quorum: undefined when nothing is lost. */
export interface QuorumLoss {
  /** Partitions that would lose their quorum (all of them for a leave). */
  readonly partitions: number
  /** Replicas (a leave: storage nodes) that would be up, at the fewest, and how many a write needs. */
  readonly up: number
  readonly needed: number
}

/**
 * Whether each partition has the replicas up that its writes need (docs/operations.md, "Quorum
 * loss"), from the roster's placement and the members heard. It says so once per change in the
 * node's log (one line: which partitions, how many replicas are up of how many needed, who is
 * down), refuses at once what cannot be written (check: the journal's gate), names the state for
 * the admin API, and tells what a drain or a leave would cost before an admin does it.
 */
export class WriteQuorum {
  readonly #opts: WriteQuorumOptions
  /** Per partition: whether fewer than W replicas are up (an open journal cannot write). */
  #blocked: boolean[] = []
  /** The partitions last logged as unavailable (taking an entity: fewer than `needed` up). */
  #logged = new Set<number>()
  readonly #listeners = new Set<(blocked: readonly number[]) => void>()
  readonly #failures: ServiceFailures
  /** The periodic check while started (undefined: stopped, or not started yet). */
  #service: PeriodicService | undefined
  /** The members live at the last look, sorted and joined. */
  #lastLive: string | undefined
  /** The last state() and what it was computed from: the members live (sorted, joined) and the
   * first partition's placement, which stands for every partition's (ReplicatedJournal.placement
   * answers the same frozen object for a partition while the roster stays the same, and new ones
   * for all once it changes). */
  #lastState: { live: string, first: PartitionPlacement | undefined, state: WriteQuorumState } | undefined

  constructor (opts: WriteQuorumOptions) {
    this.#opts = opts
    this.#failures = opts.failures ?? new ServiceFailures()
  }

  /** Looks at the quorums from now on (at once, then every intervalMs after the last look, and at
   * each update()); before, every write passes (a node not yet in the mesh has no view to judge
   * by). Started again after a stop, it looks again. */
  start (): void {
    if (this.#service !== undefined) return
    this.#service = new PeriodicService({
      name: 'write-quorum',
      run: () => { this.update() },
      intervalMs: this.#opts.intervalMs ?? WRITE_QUORUM_CHECK_MS,
      runAtStart: true,
      failures: this.#failures,
      log: serviceLog(this.#opts.log)
    })
    this.#service.start()
  }

  /** Stops looking: every write passes again, as before start() (a stopping node's own members
   * leaving with it are no reason to refuse what it finishes). At once; what it returns settles
   * once the check is stopped too. */
  stop (): Promise<void> {
    const service = this.#service
    this.#service = undefined
    this.#blocked = []
    this.#logged = new Set()
    this.#lastLive = undefined
    return service?.stop() ?? Promise.resolve()
  }

  /** `listener` is called with the partitions whose open journals can no longer write (fewer than
   * W replicas up), each time some newly are. */
  onBlocked (listener: (partitions: readonly number[]) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Looks at every partition again: logs a change, and tells the listeners of newly blocked ones.
   * `rosterSame`: the caller knows the roster did not change since the last look; then a look
   * with the same members live is skipped (a view refreshed every few hundred ms, hearing nothing
   * new, does not recompute 256 placements; the periodic look always runs). */
  update (rosterSame = false): void {
    if (this.#service === undefined) return
    const live = this.#live()
    const seen = [...live].sort().join(' ')
    if (rosterSame && seen === this.#lastLive) return
    this.#lastLive = seen
    const blocked: boolean[] = []
    const newly: number[] = []
    const unavailable = new Set<number>()
    let fewest = Number.POSITIVE_INFINITY
    for (let p = 0; p < this.#opts.partitions; p++) {
      const { replicas, writeQuorum } = this.#opts.placement(p)
      const up = replicas.filter((n) => live.has(n)).length
      blocked[p] = up < writeQuorum
      if (blocked[p] === true && this.#blocked[p] !== true) newly.push(p)
      if (up < neededOf(replicas.length, writeQuorum)) {
        unavailable.add(p)
        fewest = Math.min(fewest, up)
      }
    }
    this.#blocked = blocked
    if (!sameSet(unavailable, this.#logged)) this.#logChange(unavailable, fewest)
    this.#logged = unavailable
    if (newly.length > 0) for (const listener of [...this.#listeners]) listener(newly)
  }

  /** Whether open journals of `partition` can no longer write (as of the last update). */
  blocked (partition: number): boolean {
    return this.#blocked[partition] === true
  }

  /** Refuses (ReplicasUnavailableError) taking `entityId` when its partition has fewer replicas up
   * than that needs, before a replica is asked. */
  checkTake (entityId: string, partition: number): void {
    if (this.#service === undefined) return
    const { replicas, writeQuorum } = this.#opts.placement(partition)
    const live = this.#live()
    const up = replicas.filter((n) => live.has(n))
    const needed = neededOf(replicas.length, writeQuorum)
    if (up.length < needed) throw new ReplicasUnavailableError(entityId, 'taking the entity', needed, up.length, downOf(replicas, live))
  }

  /** The error of a write to `entityId` in a blocked partition (`what`: @default 'a write'). */
  writeRefusal (entityId: string, partition: number, what = 'a write'): ReplicasUnavailableError {
    const { replicas, writeQuorum } = this.#opts.placement(partition)
    const live = this.#live()
    return new ReplicasUnavailableError(entityId, what, writeQuorum, replicas.filter((n) => live.has(n)).length, downOf(replicas, live))
  }

  partitionOf (entityId: string): number {
    return this.#opts.partitionOf(entityId)
  }

  /** The state now, every partition looked at: computed again only when the members live or the
   * roster changed (GET /api/v1/cluster reads it at every request). */
  state (): WriteQuorumState {
    const live = this.#live()
    const seen = [...live].sort().join(' ')
    const first = this.#opts.partitions > 0 ? this.#opts.placement(0) : undefined
    const last = this.#lastState
    if (last !== undefined && last.live === seen && last.first === first) return last.state
    const state = this.#stateOf(live)
    this.#lastState = { live: seen, first, state }
    return state
  }

  #stateOf (live: ReadonlySet<string>): WriteQuorumState {
    const storage = new Set<string>()
    let unavailable = 0
    let first: PartitionPlacement | undefined
    for (let p = 0; p < this.#opts.partitions; p++) {
      const placed = this.#opts.placement(p)
      first ??= placed
      for (const n of placed.replicas) storage.add(n)
      if (placed.replicas.filter((n) => live.has(n)).length < neededOf(placed.replicas.length, placed.writeQuorum)) unavailable++
    }
    const replicas = first?.replicas.length ?? 0
    const writeQuorum = first?.writeQuorum ?? 0
    const down = [...storage].filter((n) => !live.has(n)).sort()
    return {
      available: unavailable === 0,
      needed: neededOf(replicas, writeQuorum),
      writeQuorum,
      replicas,
      storageNodes: storage.size,
      storageUp: storage.size - down.length,
      partitions: this.#opts.partitions,
      unavailablePartitions: unavailable,
      down
    }
  }

  /** What `peer` going down (a drain: it stops, and stays a replica until it is back or replaced)
   * would cost: the partitions left with fewer replicas up than a write needs. Partitions that have
   * already lost their quorum do not count (a drain does not make them worse). */
  lossIfDown (peer: string): QuorumLoss | undefined {
    const live = this.#live()
    if (!live.has(peer)) return undefined
    let partitions = 0
    let up = Number.POSITIVE_INFINITY
    let needed = 0
    for (let p = 0; p < this.#opts.partitions; p++) {
      const { replicas, writeQuorum } = this.#opts.placement(p)
      if (!replicas.includes(peer)) continue
      const before = replicas.filter((n) => live.has(n)).length
      const need = neededOf(replicas.length, writeQuorum)
      if (before < need || before - 1 >= need) continue
      partitions++
      up = Math.min(up, before - 1)
      needed = Math.max(needed, need)
    }
    return partitions === 0 ? undefined : { partitions, up, needed }
  }

  /** What `peer` leaving the storage nodes (a decommission, or its storage role taken away) would
   * cost: fewer storage nodes up than a write needs once it handed its partitions off. */
  lossIfLeaves (peer: string): QuorumLoss | undefined {
    if (this.#opts.fixedRoster === true || !this.#live().has(peer) || !this.#holdsReplicas(peer)) return undefined
    const state = this.state()
    const after = state.storageUp - 1
    if (after >= state.needed || state.storageUp < state.needed) return undefined
    return { partitions: state.partitions, up: after, needed: state.needed }
  }

  #holdsReplicas (peer: string): boolean {
    for (let p = 0; p < this.#opts.partitions; p++) if (this.#opts.placement(p).replicas.includes(peer)) return true
    return false
  }

  #live (): Set<string> {
    const live = new Set(this.#opts.live())
    live.add(this.#opts.self)
    return live
  }

  #logChange (unavailable: ReadonlySet<number>, fewest: number): void {
    const { partitions, log } = this.#opts
    const state = this.state()
    if (unavailable.size === 0) {
      log.warn({ storageUp: state.storageUp, storageNodes: state.storageNodes, needed: state.needed },
        `writes available again on every partition: ${state.storageUp} of ${state.storageNodes} storage nodes up, a write needs ${state.needed}`)
      return
    }
    const listed = [...unavailable].slice(0, LOGGED_PARTITIONS)
    log.warn({ partitions: listed, unavailable: unavailable.size, needed: state.needed, reachable: fewest, down: state.down },
      `writes unavailable on ${unavailable.size} of ${partitions} partitions: ${replicasReachable('write', state.needed, fewest)}` +
      `${state.down.length === 0 ? '' : ` (storage nodes down: ${state.down.join(', ')})`}; their entities answer UNAVAILABLE until enough are back`)
  }
}

/** Replicas a write needs, taking the entity included: F = max(majority, R − W + 1) ≥ W unless W
 * is set above a majority (quorum.ts). */
function neededOf (replicas: number, writeQuorum: number): number {
  return replicas === 0 ? 0 : Math.max(writeQuorum, fenceQuorum(replicas, writeQuorum))
}

function downOf (replicas: readonly string[], live: ReadonlySet<string>): string {
  const down = replicas.filter((n) => !live.has(n))
  return down.length === 0 ? '' : `down: ${down.join(', ')}`
}

function sameSet (a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}
