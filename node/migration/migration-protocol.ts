import type { HandOff, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { clip } from '../../protocols/index.ts'
import { LIMITS } from '../../protocols/p2p/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'

/** Where every node's migration actor lives (other nodes ask it there). */
export const MIGRATION_PATH = '/migration'

/** Messages an old owner may have buffered for one entity while it moved (a mailbox's worth). */
export const MAX_HANDOFF_MESSAGES = 65_536

/** Why an entity moves: what the metrics and the logs count by. (An admin's migration of one
 * entity to a node of its choice is not built yet: placement would send the entity back to its
 * hash owner, so it needs an override the whole cluster agrees on first.) */
export type MoveTrigger = 'drain' | 'rebalance' | 'claim'
export const MOVE_TRIGGERS: readonly MoveTrigger[] = ['drain', 'rebalance', 'claim']

/** How one move ended. */
export type MoveOutcome =
  /** handed over live: state, volatile state and waiting messages */
  | 'moved'
  /** it did not stop cleanly in time (or a write failed): the new owner recovers it from its
   * journal, which fences the old activation */
  | 'cold'
  /** it was not active on the node asked to move it (nothing to do: its next message activates
   * it where placement says) */
  | 'not-active'
  /** the new owner did not take it (unreachable, refused): its messages go on to it, or to
   * whoever placement names, which recovers it from the journal */
  | 'failed'
export const MOVE_OUTCOMES: readonly MoveOutcome[] = ['moved', 'cold', 'not-active', 'failed']

export interface MoveResult {
  readonly entity: string
  readonly from: string
  readonly to: string
  readonly outcome: MoveOutcome
  /** ms the entity took no messages (they waited) */
  readonly pauseMs: number
  /** for cold and failed */
  readonly why?: string
}

export type MigrationMsg =
  /** Old owner → new owner: take this entity (EntityHost.adopt); replies once it runs. */
  | { readonly type: 'adopt', readonly entityType: string, readonly key: string, readonly handOff: HandOff, readonly replyTo: ReplyTo<'ok'> }
  /** New owner → a previous owner: hand `type/key` to `to` if you hold it; replies how it ended. */
  | { readonly type: 'claim', readonly entityType: string, readonly key: string, readonly to: string, readonly replyTo: ReplyTo<MoveResult> }

/**
 * A migration request as it came off the wire, checked field by field (an entity's state and
 * messages are the entity type's to check: adopt runs its message check on each one).
 */
export function checkMigrationMsg (msg: unknown): MigrationMsg {
  const m = msg as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) throw new InvalidPeerRequestError('a migration request is an object')
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('a migration request needs a reply address')
  if (typeof m.entityType !== 'string' || m.entityType.length === 0 || m.entityType.length > LIMITS.type) throw new InvalidPeerRequestError('entityType')
  if (typeof m.key !== 'string' || m.key.length === 0 || m.key.length > LIMITS.key) throw new InvalidPeerRequestError('key')
  switch (m.type) {
    case 'adopt':
      checkHandOff(m.handOff)
      return m as unknown as MigrationMsg
    case 'claim':
      if (typeof m.to !== 'string' || m.to.length === 0 || m.to.length > LIMITS.peerId) throw new InvalidPeerRequestError('to: a peer id')
      return m as unknown as MigrationMsg
    default:
      throw new InvalidPeerRequestError(`unknown migration request ${clip(JSON.stringify(m.type) ?? '', 64)}`)
  }
}

function checkHandOff (value: unknown): asserts value is HandOff {
  const h = value as Record<string, unknown> | null
  if (typeof h !== 'object' || h === null) throw new InvalidPeerRequestError('handOff: an object')
  if (!Number.isSafeInteger(h.seq) || (h.seq as number) < 0) throw new InvalidPeerRequestError('handOff.seq: an integer >= 0')
  if (!Number.isSafeInteger(h.snapshotSeq) || (h.snapshotSeq as number) < 0) throw new InvalidPeerRequestError('handOff.snapshotSeq: an integer >= 0')
  if (!('state' in h)) throw new InvalidPeerRequestError('handOff.state is missing')
  if (!Array.isArray(h.buffered) || h.buffered.length > MAX_HANDOFF_MESSAGES) throw new InvalidPeerRequestError(`handOff.buffered: at most ${MAX_HANDOFF_MESSAGES} messages`)
}

/** A move's result as another node answered it. */
export function checkMoveResult (value: unknown): MoveResult {
  const r = value as Record<string, unknown> | null
  if (typeof r !== 'object' || r === null || typeof r.entity !== 'string' || typeof r.from !== 'string' || typeof r.to !== 'string' ||
    !MOVE_OUTCOMES.includes(r.outcome as MoveOutcome) || typeof r.pauseMs !== 'number' || !Number.isFinite(r.pauseMs) ||
    (r.why !== undefined && typeof r.why !== 'string')) {
    throw new InvalidPeerRequestError('not a move result')
  }
  return { entity: clip(r.entity, 300), from: clip(r.from, 128), to: clip(r.to, 128), outcome: r.outcome as MoveOutcome, pauseMs: r.pauseMs, ...(typeof r.why === 'string' && { why: clip(r.why, 500) }) }
}
