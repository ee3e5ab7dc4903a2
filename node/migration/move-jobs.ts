import type { Jobs } from '../jobs/index.ts'
import type { Migrator } from './migrator.ts'
import type { MoveTrigger } from './migration-protocol.ts'
import { MOVE_JOB_POLL_MS } from './constants.ts'

/**
 * Rebalances and drains as jobs (`plexi admin jobs`): each batch of moves a view change queues on
 * this node joins the running job of its kind, or starts one, which reports moves done of those
 * queued and what is left, and ends when no move is queued or under way. Cancelling it only stops
 * the reporting: placement needs the moves (an entity left on a node that no longer owns it would
 * be claimed by its owner anyway).
 */
export class MoveJobs {
  readonly #jobs: Jobs
  readonly #migrator: Migrator
  readonly #running = new Map<'rebalance' | 'drain', { total: number }>()

  constructor (jobs: Jobs, migrator: Migrator) {
    this.#jobs = jobs
    this.#migrator = migrator
  }

  /** `queued` moves of `trigger` were queued now. */
  queued (trigger: MoveTrigger, queued: number): void {
    if (queued <= 0 || (trigger !== 'rebalance' && trigger !== 'drain')) return
    const running = this.#running.get(trigger)
    if (running !== undefined) {
      running.total += queued
      return
    }
    const batch = { total: queued }
    this.#running.set(trigger, batch)
    // the queued moves that ended, however: one a claim took first, or one no longer needed, is
    // done too (counting moves by their own trigger left such a job short of its total)
    const count = (): { done: number, failed: number } => {
      const c = this.#migrator.stats.queued.get(trigger)
      return { done: c?.ended ?? 0, failed: c?.failed ?? 0 }
    }
    const before = count()
    this.#jobs.start(trigger, this.#jobs.node, async (control) => {
      try {
        for (;;) {
          const now = count()
          const done = Math.min(batch.total, now.done - before.done)
          const left = this.#migrator.pendingMoves(50)
          control.progress({ total: batch.total, done, failed: now.failed - before.failed, left: left.map((m) => ({ item: m.entity, why: m.why })), message: `moving entities: ${done} of ${batch.total}` })
          if (this.#migrator.pending === 0) return `${done} of ${batch.total} entities moved${now.failed > before.failed ? ` (${now.failed - before.failed} failed: they recover from their journals on their new owners)` : ''}`
          if (control.signal.aborted) return 'stopped reporting; the moves go on (placement needs them)'
          await new Promise((resolve) => setTimeout(resolve, MOVE_JOB_POLL_MS))
        }
      } finally {
        this.#running.delete(trigger)
      }
    })
  }
}
