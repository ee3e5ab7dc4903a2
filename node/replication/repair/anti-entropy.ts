import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { serviceLog } from '../service-log.ts'
import type { PartitionPeer } from './partition-peer.ts'
import { pullFrom } from './partition-pull.ts'
import type { PassBudget, PassResult } from './partition-pull.ts'

/** Totals of anti-entropy on this node (metrics, admin). */
export interface AntiEntropyStats {
  passes: number
  /** ms since the epoch when the last full pass over this node's partitions ended (0: none yet). */
  lastPassAt: number
  partitionsCompared: number
  /** Partitions found differing from the peer compared with. */
  partitionsDiffering: number
  /** Records appended after a head (missed while down). */
  recordsFilled: number
  /** Records put back before a head (missing from the middle, or damaged). */
  recordsRepaired: number
  /** What peers sent for the passes (hashes, listings, digests, records). */
  bytes: number
  divergent: number
  /** Peers that could not be asked (down, unreachable, a bad answer). */
  failures: number
}

/** One partition replica here, as repairs left it (admin). */
export interface PartitionRepairState {
  /** ms since the epoch when a pass last compared it with another replica. */
  lastComparedAt: number
  /** ms since the epoch when a pass last took records for it (0: never). */
  lastRepairAt: number
  /** Records taken for it since the node started (filled and repaired). */
  records: number
}

export interface AntiEntropyOptions {
  readonly self: string
  readonly journal: ReplicatedJournal
  /** Another replica of a partition, as anti-entropy asks it. */
  readonly peer: (node: string, partition: number) => PartitionPeer
  /** Members heard and not down. */
  readonly live: () => ReadonlySet<string>
  /** ms between the end of a pass and the start of the next; 0: never by itself (runOnce still works). */
  readonly intervalMs: number
  /** Records one pass may copy here. */
  readonly maxRecords: number
  /** Bytes one pass may take from peers. @default Infinity */
  readonly maxBytes?: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** Where the loop's failed passes are counted (one per node, shared by its services).
   * @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
}

/** What a repair of some partitions on this node did (admin's repair job). */
export interface RepairResult {
  readonly partitions: number
  readonly peers: number
  readonly records: number
  readonly repaired: number
  readonly bytes: number
  readonly divergent: number
  readonly failures: string[]
}

/**
 * Anti-entropy on one storage node (docs/replication.md): every `intervalMs` (after the last pass
 * ended; a supervised PeriodicService), for each partition this node is a replica of, one pass
 * against another live replica of it (taken in turn, so every pair meets), pulling what this node
 * misses within the pass's budget. A repair (admin) compares with every live replica at once,
 * without a budget.
 */
export class AntiEntropy {
  readonly stats: AntiEntropyStats = { passes: 0, lastPassAt: 0, partitionsCompared: 0, partitionsDiffering: 0, recordsFilled: 0, recordsRepaired: 0, bytes: 0, divergent: 0, failures: 0 }
  /** Per partition this node compared: when, and what it took. */
  readonly partitions = new Map<number, PartitionRepairState>()
  readonly #opts: AntiEntropyOptions
  readonly #service: PeriodicService
  #running: Promise<PassResult[]> | undefined
  /** Per partition, the compare running on it: two of one partition (a pass, a repair, a learner's
   * or a hand-off's take-over) would pull the same records twice, so they go one after the other;
   * those of different partitions go side by side (a learner catching up is not queued behind a
   * whole pass over every partition). */
  readonly #onPartition = new Map<number, Promise<unknown>>()
  #stopped = false
  #turn = 0

  constructor (opts: AntiEntropyOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({
      name: 'anti-entropy',
      run: async () => { await this.runOnce() },
      intervalMs: opts.intervalMs,
      failures: opts.failures ?? new ServiceFailures(),
      log: serviceLog(opts.log)
    })
  }

  /** Passes from now on, the first one interval after this (none with intervalMs 0). */
  start (): void {
    if (this.#opts.intervalMs <= 0 || this.#stopped) return
    this.#service.start()
  }

  /** No pass starts after this; the one running stops at its next partition and is waited for. */
  async stop (): Promise<void> {
    this.#stopped = true
    await this.#service.stop()
  }

  /** Failed passes in a row now (0 after a pass that ran). */
  get failingFor (): number { return this.#service.failingFor }

  /** One pass over every partition this node is a replica of (one at a time; a pass already
   * running is joined, not doubled). */
  runOnce (): Promise<PassResult[]> {
    this.#running ??= this.#pass().finally(() => { this.#running = undefined })
    return this.#running
  }

  /**
   * Repairs `partitions` (those this node is a replica of) against every other live replica of
   * each, without a budget: what an admin's repair job asks of each replica.
   */
  repair (partitions: readonly number[]): Promise<RepairResult> {
    return (async () => {
      const { self, journal } = this.#opts
      const live = this.#opts.live()
      const out = { partitions: 0, peers: 0, records: 0, repaired: 0, bytes: 0, divergent: 0, failures: [] as string[] }
      for (const p of partitions) {
        if (this.#stopped) break
        const { replicas } = journal.placement(p)
        if (!replicas.includes(self)) continue
        out.partitions++
        for (const node of replicas.filter((n) => n !== self && live.has(n))) {
          const result = await this.#compare(p, node, { records: Infinity, bytes: Infinity })
          if (typeof result === 'string') {
            out.failures.push(result)
            continue
          }
          out.peers++
          out.records += result.records
          out.repaired += result.repaired
          out.bytes += result.bytes
          out.divergent += result.divergent
        }
      }
      return out
    })()
  }

  /**
   * Takes everything `from` holds of `partition` that this replica misses, without a budget: a
   * partition hand-off (`from` is leaving, this node is one of the partition's new replicas) or a
   * learner's catch-up. Rejects when `from` could not be compared with.
   */
  async takeOver (partition: number, from: string): Promise<PassResult> {
    const result = await this.#compare(partition, from, { records: Infinity, bytes: Infinity })
    if (typeof result === 'string') throw new Error(result)
    return result
  }

  /** Runs `fn` once the compare running on `partition` (if any) ended. */
  #serial<T> (partition: number, fn: () => Promise<T>): Promise<T> {
    const run = (this.#onPartition.get(partition) ?? Promise.resolve()).then(fn, fn)
    // the chain only orders the runs: each caller gets its own run's outcome from `run`
    const tail = run.catch(() => undefined)
    this.#onPartition.set(partition, tail)
    void tail.then(() => { if (this.#onPartition.get(partition) === tail) this.#onPartition.delete(partition) })
    return run
  }

  async #pass (): Promise<PassResult[]> {
    const { self, journal } = this.#opts
    const results: PassResult[] = []
    let records = this.#opts.maxRecords
    let bytes = this.#opts.maxBytes ?? Infinity
    const live = this.#opts.live()
    this.#turn++
    for (let p = 0; p < journal.partitions && !this.#stopped; p++) {
      const { replicas } = journal.placement(p)
      if (!replicas.includes(self)) continue
      const others = replicas.filter((n) => n !== self && live.has(n))
      if (others.length === 0) continue
      const result = await this.#compare(p, others[(this.#turn + p) % others.length] as string, { records: Math.max(0, records), bytes: Math.max(0, bytes) })
      if (typeof result === 'string') continue
      results.push(result)
      records -= result.records + result.repaired
      bytes -= result.bytes
    }
    this.stats.passes++
    this.stats.lastPassAt = Date.now()
    return results
  }

  /** One partition against one peer (after any other compare of it); the failure's text when the
   * peer could not be compared with. */
  #compare (p: number, node: string, budget: PassBudget): Promise<PassResult | string> {
    return this.#serial(p, async () => await this.#compareNow(p, node, budget))
  }

  async #compareNow (p: number, node: string, budget: PassBudget): Promise<PassResult | string> {
    const { journal, log } = this.#opts
    try {
      const result = await pullFrom(p, journal.storage, journal.core(p), this.#opts.peer(node, p), budget)
      this.stats.partitionsCompared++
      if (result.buckets > 0) this.stats.partitionsDiffering++
      this.stats.recordsFilled += result.records
      this.stats.recordsRepaired += result.repaired
      this.stats.bytes += result.bytes
      this.stats.divergent += result.divergent
      const now = Date.now()
      const state = this.partitions.get(p) ?? { lastComparedAt: 0, lastRepairAt: 0, records: 0 }
      state.lastComparedAt = now
      if (result.records + result.repaired > 0) {
        state.lastRepairAt = now
        state.records += result.records + result.repaired
        log.info({ partition: p, peer: node, filled: result.records, repaired: result.repaired, entities: result.entities, bytes: result.bytes },
          `anti-entropy: partition ${p} took ${result.records + result.repaired} records from ${node} (${result.records} it missed after its heads, ${result.repaired} missing or damaged before)`)
      }
      this.partitions.set(p, state)
      return result
    } catch (err) {
      this.stats.failures++
      log.warn({ partition: p, peer: node, err }, `anti-entropy: partition ${p} could not be compared with ${node}: ${(err as Error).message}`)
      return `partition ${p} with ${node}: ${(err as Error).message}`
    }
  }
}
