import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import type { ServiceLog } from '../../services/index.ts'
import { earlierSetNodes, fenceQuorum } from '../journal/quorum.ts'
import type { PartitionPlacement } from '../journal/placements.ts'
import type { RosterChange } from '../roster-journal/roster-entry.ts'
import { MAX_SETTLED } from '../roster-journal/roster-entry.ts'
import type { Proposal } from '../roster-journal/roster-keeper.ts'
import { earlierWriteQuorum } from '../roster/partition-configs.ts'
import type { EarlierSet } from '../roster/partition-configs.ts'
import { checkPulled, checkRaised } from './settle-protocol.ts'
import type { SettleConfigs } from './settle-replica.ts'

async function sleep (ms: number): Promise<void> {
  await new Promise<void>((resolve) => { setTimeout(resolve, ms).unref() })
}

/** How often the keeper's node looks for hand-offs to settle. */
export const SETTLE_CHECK_MS = 1_000
/** How long a step waits for the live members behind a configuration version (their records say
 * they have not applied it) before it stores the version on the earlier sets all the same: each
 * member moves its open journals to the new sets as it applies the version, and a replica that
 * stored the version first refuses an open journal under the earlier one, which stops it and takes
 * its entity again (a pause, and a take that may wait on a new replica still catching up). */
export const SETTLE_APPLY_WAIT_MS = 10_000
const MAX_BEHIND_VERSIONS = 64
/** Partitions one step settles at most (the rest at the next), and at once. */
const SETTLE_PER_STEP = 256
const SETTLE_PARALLEL = 16

export interface PartitionSettlerOptions {
  readonly self: string
  readonly partitions: number
  /** Where the roster's keeper is in this node's view (only that node settles). */
  readonly keeperNode: () => string | undefined
  readonly configs: () => SettleConfigs | undefined
  readonly followed: () => number | undefined
  readonly placement: (partition: number) => PartitionPlacement
  readonly live: () => ReadonlySet<string>
  /** Every storage node the roster names: a node of an earlier set it no longer names was forgotten
   * (decommissioned: it can be in no quorum again), and the rest of the set decides. */
  readonly known: () => ReadonlySet<string>
  /** Known nodes replaced (lost for good): they take no write, so each counts as one raised. */
  readonly replaced: (peerId: string) => boolean
  /** A settle request to `node` (this one's served here), its answer unchecked. */
  readonly ask: (node: string, msg: { type: 'raise' | 'pull', partition: number, version: number }) => Promise<unknown>
  /** Live members whose records say they have not applied roster version `version` yet (absent:
   * none waited on). Step (a) of a partition moved at that version waits for them, at most
   * SETTLE_APPLY_WAIT_MS. */
  readonly behind?: (version: number) => readonly string[]
  /** @default Date.now */
  readonly now?: () => number
  /** Proposes a change on the latest version (RosterService.propose). */
  readonly propose: (change: RosterChange) => Promise<Proposal>
  readonly configuredWriteQuorum: number | undefined
  /** How long leases granted before step (a) may still be held (config lease-ms, stretched by
   * max-clock-drift): step (b) starts only after it, so that no owner under an earlier version
   * still serves reads from a lease once the partition is settled. */
  readonly leaseWaitMs: number
  /** Waits `ms` (tests). @default a timer */
  readonly sleep?: (ms: number) => Promise<void>
  readonly intervalMs?: number
  readonly log: ServiceLog
}

/** What the settler did (metrics, admin). */
export interface SettleStats {
  /** Hand-offs recorded settled (one per partition and version). */
  settled: number
  /** Roster versions made to record them. */
  versions: number
  /** Partitions a step tried and could not settle yet (tried again later). */
  notYet: number
  /** Settle proposals refused or failed. */
  failed: number
}

/**
 * Settles partitions' hand-offs (docs/replication.md, "When a hand-off is settled") on the node
 * where the roster's keeper is: for each partition with earlier sets under its configuration
 * version v, (a) v is stored on all but fewer than min(W, F) of each earlier set, then (the leases
 * granted before it run out, so that no owner under an earlier version serves reads) (b) every
 * replica of v's set pulls the partition clean from all but fewer than W of each earlier set, then
 * (c) one roster version records the partitions settled, and every node drops their earlier sets
 * from the fences of the partition's owners. A step that cannot finish a partition (a node behind
 * or out of reach) leaves it for the next.
 */
export class PartitionSettler {
  readonly #opts: PartitionSettlerOptions
  readonly #service: PeriodicService
  readonly stats: SettleStats = { settled: 0, versions: 0, notYet: 0, failed: 0 }
  /** Why the last try of each partition did not settle it (admin, the log at debug). */
  readonly #waiting = new Map<number, string>()
  /** When a step first found live members behind each version (SETTLE_APPLY_WAIT_MS). */
  readonly #behindSince = new Map<number, number>()

  constructor (opts: PartitionSettlerOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({
      name: 'settle',
      intervalMs: opts.intervalMs ?? SETTLE_CHECK_MS,
      run: async () => { await this.step() },
      failures: new ServiceFailures(),
      log: opts.log
    })
  }

  start (): void { this.#service.start() }
  /** A step now (one running is joined; the next follows at the interval). */
  async trigger (): Promise<void> { await this.#service.trigger() }
  async stop (): Promise<void> { await this.#service.stop() }

  /** Partitions whose hand-off waits, and why (in words). */
  waiting (): ReadonlyMap<number, string> { return this.#waiting }

  /** One step: as the keeper's node, settles what it can and records it in one roster version.
   * Returns the [partition, version] pairs recorded. */
  async step (): Promise<Array<[number, number]>> {
    const { self, keeperNode, followed, partitions } = this.#opts
    const configs = this.#opts.configs()
    if (keeperNode() !== self || configs === undefined || configs.version === undefined || configs.version !== followed()) return []
    const pending: Array<{ partition: number, version: number, earlier: readonly EarlierSet[] }> = []
    for (let p = 0; p < partitions && pending.length < SETTLE_PER_STEP; p++) {
      const earlier = configs.earlierOf(p)
      const version = configs.of(p)
      if (earlier !== undefined && earlier.length > 0 && version !== undefined) pending.push({ partition: p, version, earlier })
    }
    // (a) for each, then the leases granted before it run out, then (b) for those that passed (a)
    const raised = await this.#each(pending, async (job) => await this.#raise(job.partition, job.version, job.earlier))
    if (raised.length === 0) return []
    await (this.#opts.sleep ?? sleep)(this.#opts.leaseWaitMs)
    const settled = (await this.#each(raised, async (job) => await this.#pull(job.partition, job.version))).map((job): [number, number] => [job.partition, job.version])
    if (settled.length === 0) return []
    settled.sort((a, b) => a[0] - b[0])
    const recorded = settled.slice(0, MAX_SETTLED)
    const outcome = await this.#opts.propose({ kind: 'settle', settled: recorded })
    if (!outcome.ok) {
      this.stats.failed++
      this.#opts.log.debug({ why: outcome.why }, `hand-offs of ${recorded.length} partitions settled, not recorded (${outcome.why}); tried again next step`)
      return []
    }
    this.stats.settled += recorded.length
    this.stats.versions++
    this.#opts.log.info({ version: outcome.version.version, partitions: recorded.length }, `roster version ${outcome.version.version}: the hand-offs of ${recorded.length} partition${recorded.length === 1 ? '' : 's'} settled (their owners fence their replicas alone from now on)`)
    return recorded
  }

  /** Runs `step` for each job, SETTLE_PARALLEL at once; returns the jobs it passed (undefined:
   * done), noting why each other one waits. */
  async #each<J extends { partition: number, version: number }> (jobs: readonly J[], step: (job: J) => Promise<string | undefined>): Promise<J[]> {
    const passed: J[] = []
    for (let i = 0; i < jobs.length; i += SETTLE_PARALLEL) {
      await Promise.all(jobs.slice(i, i + SETTLE_PARALLEL).map(async (job) => {
        const why = await step(job).catch((err: unknown) => (err as Error).message)
        if (why === undefined) {
          passed.push(job)
          this.#waiting.delete(job.partition)
          return
        }
        this.stats.notYet++
        this.#waiting.set(job.partition, why)
        this.#opts.log.debug({ partition: job.partition, version: job.version, why }, `partition ${job.partition}: its hand-off at configuration version ${job.version} is not settled yet (${why})`)
      }))
    }
    return passed
  }

  /** Why step (a) of a partition moved at `version` waits for members to apply it (undefined: none
   * behind, or it waited SETTLE_APPLY_WAIT_MS for them). */
  #late (version: number): string | undefined {
    const behind = this.#opts.behind?.(version) ?? []
    const now = (this.#opts.now ?? Date.now)()
    const since = this.#behindSince.get(version)
    if (behind.length === 0) {
      this.#behindSince.delete(version)
      return undefined
    }
    if (since !== undefined && now - since >= SETTLE_APPLY_WAIT_MS) return undefined
    if (since === undefined) {
      this.#behindSince.set(version, now)
      // (kept until no member is behind it; a member that never says drops off the oldest first)
      if (this.#behindSince.size > MAX_BEHIND_VERSIONS) this.#behindSince.delete(this.#behindSince.keys().next().value as number)
    }
    return `${behind.length} live member${behind.length === 1 ? ' has' : 's have'} not applied roster version ${version} yet (${behind.slice(0, 3).join(', ')}${behind.length > 3 ? ', ...' : ''}): their open journals move to the new set as they do`
  }

  /** Step (a) for one partition: undefined once done, else why not. */
  async #raise (partition: number, version: number, earlier: readonly EarlierSet[]): Promise<string | undefined> {
    const late = this.#late(version)
    if (late !== undefined) return late
    const { live, ask, placement, configuredWriteQuorum } = this.#opts
    const up = live()
    const known = this.#opts.known()
    const { writeQuorum } = placement(partition)
    for (const set of earlier) {
      const { nodes, lost } = earlierSetNodes(set.nodes, (n) => known.has(n), this.#opts.replaced)
      const raised = await Promise.all(nodes.map(async (node) => {
        if (node !== this.#opts.self && !up.has(node)) return false
        try {
          return checkRaised(await ask(node, { type: 'raise', partition, version })) >= version
        } catch {
          return false
        }
      }))
      const w = earlierWriteQuorum(set, writeQuorum, configuredWriteQuorum)
      const missing = raised.filter((ok) => !ok).length
      if (nodes.length > 0 && missing >= Math.min(w, fenceQuorum(nodes.length + lost, w))) return `version ${version} stored on ${nodes.length - missing} of the ${nodes.length} nodes of the set of version ${set.version}`
    }
    return undefined
  }

  /** Step (b) for one partition: undefined once every replica of its set pulled it, else why not. */
  async #pull (partition: number, version: number): Promise<string | undefined> {
    const up = this.#opts.live()
    const { replicas } = this.#opts.placement(partition)
    for (const node of replicas) {
      if (node !== this.#opts.self && !up.has(node)) return `replica ${node} is down`
    }
    const pulls = await Promise.allSettled(replicas.map(async (node) => checkPulled(await this.#opts.ask(node, { type: 'pull', partition, version }))))
    const failed = pulls.findIndex((p) => p.status === 'rejected')
    if (failed >= 0) return `replica ${replicas[failed] as string} did not catch up: ${((pulls[failed] as PromiseRejectedResult).reason as Error).message}`
    return undefined
  }
}
