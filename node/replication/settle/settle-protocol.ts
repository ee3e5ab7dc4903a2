import type { ReplyTo } from '../../../actors/index.ts'
import { shown } from '../../../protocols/index.ts'
import { systemPath } from '../../../protocols/p2p/index.ts'
import { InvalidReplicaReplyError, InvalidReplicaRequestError } from '../errors.ts'

/** Where every storage node of a cluster answers a settle's requests (docs/replication.md, "When a
 * hand-off is settled"). */
export const SETTLE_PATH = systemPath('settle', 1)

/**
 * A settle's requests, from the roster keeper's node to each node concerned:
 * - `raise`: store configuration version `version` for `partition` (unless a higher one is stored),
 *   durable before the answer (`{ version }`: the one stored): step (a), asked of every node of the
 *   partition's earlier sets;
 * - `pull`: pull the partition from the nodes of each of its earlier sets (as this node's roster
 *   names them at configuration version `version`) until all but fewer than each set's write quorum
 *   were pulled clean (`{ pulled: true }`): step (b), asked of every replica of the partition's set.
 */
export type SettleMsg =
  | { readonly type: 'raise', readonly partition: number, readonly version: number, readonly replyTo: ReplyTo<unknown> }
  | { readonly type: 'pull', readonly partition: number, readonly version: number, readonly replyTo: ReplyTo<unknown> }

/** Checks a settle request from another node (InvalidReplicaRequestError naming what is wrong). */
export function checkSettleMsg (value: unknown, partitions: number): SettleMsg {
  const m = value as Record<string, unknown> | null
  const int = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
  if (m !== null && typeof m === 'object' && (m.type === 'raise' || m.type === 'pull') && int(m.partition, 0, partitions - 1) && int(m.version, 1, Number.MAX_SAFE_INTEGER)) {
    return { type: m.type, partition: m.partition as number, version: m.version as number, replyTo: m.replyTo as ReplyTo<unknown> }
  }
  throw new InvalidReplicaRequestError(`settle: expected { type: "raise" | "pull", partition 0-${partitions - 1}, version >= 1 }, got ${shown(m === null || typeof m !== 'object' ? m : m.type, 40)}`)
}

/** The version a node says it stored (a `raise`'s answer), checked. */
export function checkRaised (value: unknown): number {
  const v = (value as { version?: unknown } | null)?.version
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new InvalidReplicaReplyError('settle: a raise is answered { version: a whole number }')
  return v as number
}

/** A `pull`'s answer, checked. */
export function checkPulled (value: unknown): true {
  if ((value as { pulled?: unknown } | null)?.pulled !== true) throw new InvalidReplicaReplyError('settle: a pull is answered { pulled: true }')
  return true
}

/** A node cannot do a settle's step yet (its roster is behind the keeper's, a set's nodes are out
 * of reach): the keeper's node tries again at a later step. */
export class SettleNotReadyError extends Error {
  override readonly name = 'SettleNotReadyError'
  readonly kind = 'unavailable'
}
