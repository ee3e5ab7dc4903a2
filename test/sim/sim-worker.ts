/**
 * A worker thread of `npm run sim` (run.ts): runs the batches of seeds it is sent, one after
 * another, and answers each batch with what each seed found.
 */
import { parentPort } from 'node:worker_threads'
import { runSeed } from './replication-sim.ts'
import type { SimOptions, SimResult } from './replication-sim.ts'

export interface WorkerRequest {
  readonly from: number
  readonly count: number
  readonly options: SimOptions
}

export interface SeedOutcome {
  readonly seed: number
  readonly violations: string[]
  readonly config: SimResult['config']
  readonly acked: number
  readonly reads: number
  /** Lease requests sent to other nodes in batches, and the batches. */
  readonly leaseItems: number
  readonly leaseBatches: number
}

parentPort?.on('message', (req: WorkerRequest) => {
  void (async () => {
    const outcomes: SeedOutcome[] = []
    for (let seed = req.from; seed < req.from + req.count; seed++) {
      const r = await runSeed(seed, req.options)
      outcomes.push({ seed, violations: r.violations, config: r.config, acked: r.stats.acked, reads: r.stats.readsAnswered, leaseItems: r.stats.leaseItemsBatched ?? 0, leaseBatches: r.stats.leaseBatches ?? 0 })
    }
    parentPort?.postMessage(outcomes)
  })()
})
