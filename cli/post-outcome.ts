import * as grpc from '@grpc/grpc-js'
import { CliError } from './cli-errors.ts'
import { POST_RETRY_DELAYS_MS } from './constants.ts'
import { notConnected } from './node-client.ts'

/**
 * What a failed post means for the message:
 * - `refused`: the node answered no (a bad room, a wrong token, a limit): it was not stored;
 * - `not-sent`: the call never reached a node (no connection): it was not stored;
 * - `unknown`: it reached a node and no acknowledgement came (a deadline, a connection lost, the
 *   node's UNAVAILABLE or INTERNAL): it may be stored, now or once the replicas are back. Only a
 *   retry with the same client id tells (the room answers it with the first post's acknowledgement).
 */
export type PostFailure = 'refused' | 'not-sent' | 'unknown'

/** Codes that are a node's answer about the request itself: nothing was stored. */
const REFUSED: ReadonlySet<number> = new Set([
  grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.ALREADY_EXISTS, grpc.status.PERMISSION_DENIED,
  grpc.status.RESOURCE_EXHAUSTED, grpc.status.FAILED_PRECONDITION, grpc.status.OUT_OF_RANGE, grpc.status.UNIMPLEMENTED,
  grpc.status.UNAUTHENTICATED
])


export function postFailure (err: unknown): PostFailure {
  const call = err instanceof CliError ? err.call : undefined
  if (call === undefined) return 'unknown'
  if (notConnected(call)) return 'not-sent'
  return REFUSED.has(call.code) ? 'refused' : 'unknown'
}

/** The outcome of a post, tried again with its client id while the outcome is unknown. */
export type PostResult<T> =
  | { readonly outcome: 'acknowledged', readonly ack: T, readonly tries: number }
  | { readonly outcome: PostFailure, readonly error: Error, readonly tries: number }

/**
 * Posts (`post` carries the client id each time), and tries again after each delay while the
 * outcome is unknown: a post that was stored is answered with its acknowledgement, one that was
 * not is stored once. Once an outcome was unknown it stays so unless a try is acknowledged (a later
 * try that does not reach the node, or is refused, says nothing of the first); a try that does not
 * reach a node is tried again then. `onUnknown` hears each unknown outcome before its retry.
 */
export async function postWithRetries<T> (post: () => Promise<T>, opts: { readonly delaysMs?: readonly number[], readonly onUnknown?: (error: Error, retryInMs: number) => void, readonly sleep?: (ms: number) => Promise<void> } = {}): Promise<PostResult<T>> {
  const delays = opts.delaysMs ?? POST_RETRY_DELAYS_MS
  const sleep = opts.sleep ?? (async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms)))
  let unknown = false
  for (let tries = 1; ; tries++) {
    try {
      return { outcome: 'acknowledged', ack: await post(), tries }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      const failure = postFailure(error)
      unknown ||= failure === 'unknown'
      const delay = delays[tries - 1]
      if (!unknown) return { outcome: failure, error, tries }
      if (failure === 'refused' || delay === undefined) return { outcome: 'unknown', error, tries }
      opts.onUnknown?.(error, delay)
      await sleep(delay)
    }
  }
}
