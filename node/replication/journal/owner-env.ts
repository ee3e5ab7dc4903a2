import type { ReplicaRequest, ReplyOf } from '../replica/replica-protocol.ts'

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
  /** ms; only its differences and its rough agreement between nodes matter (see entity-take.ts). */
  now (): number
  /** A monotonic clock in ms (leases are measured on it: docs/replication.md, "Leases"). @default now */
  clock? (): number
  /** Whether a node is worth asking again (not known to be down). @default every node is */
  live? (node: string): boolean
  /** The trace being recorded (node/tracing's Spans): a replica's later rounds go out in the trace
   * of the latest write queued behind the round in flight, not in the first one's forever. @default
   * none */
  readonly trace?: OwnerTrace
}

/** What an owner's feed needs of tracing (node/tracing Spans has it). */
export interface OwnerTrace {
  capture (): unknown
  within<T> (ctx: unknown, fn: () => T): T
}

/** Resolves after `ms` on the env's clock, or as soon as `signal` aborts. */
export function sleepOn (env: OwnerEnv, ms: number, signal?: AbortSignal): Promise<void> {
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
