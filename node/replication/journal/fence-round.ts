import { kindOf } from '../../../protocols/index.ts'
import { FENCE_BACKOFF_MIN_MS } from '../constants.ts'
import type { FenceReply, ReplicaRequest } from '../replica/replica-protocol.ts'
import type { LogSummary } from './log-summary.ts'
import { sleepOn } from './owner-env.ts'
import type { OwnerEnv } from './owner-env.ts'

/** What one round of fences to a set of nodes got back. */
export interface FenceRound {
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
export function holdsFence (round: FenceRound, replicas: readonly string[], f: number): boolean {
  if (round.oks.size < f) return false
  return round.learners.size === 0 || replicas.every((n) => round.oks.has(n))
}

/** Sends a fence to every replica; settles once `enough` (the others may still answer: their
 * summaries are not needed) or every replica answered or failed. */
export function fenceRound (env: OwnerEnv, replicas: readonly string[], request: Extract<ReplicaRequest, { op: 'fence' }>, enough: (round: FenceRound) => boolean, tries = 1): Promise<FenceRound> {
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
        await sleepOn(env, FENCE_BACKOFF_MIN_MS * (0.5 + env.random()))
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
