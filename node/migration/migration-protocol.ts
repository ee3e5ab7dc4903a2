import type { HandOff, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { clip, shown } from '../../protocols/index.ts'
import { LIMITS } from '../../protocols/p2p/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { checkLogTicket } from '../replication/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every node's migration actor lives (other nodes ask it there). */
export const MIGRATION_PATH = systemPath('migration', 1)

/** Messages an old owner may have buffered for one entity while it moved (a mailbox's worth). */
export const MAX_HANDOFF_MESSAGES = 65_536

/** Why an entity moves: what the metrics and the logs count by. `admin`: an admin moved it to a
 * node of their choice (which pins it there); `claim`: its new owner asked for it. */
export type MoveTrigger = 'drain' | 'rebalance' | 'claim' | 'admin'
export const MOVE_TRIGGERS: readonly MoveTrigger[] = ['drain', 'rebalance', 'claim', 'admin']

/** How a node leaves: `drain` (its entities move, then it exits; it may come back) or
 * `decommission` (it also hands its storage partitions off, and its data dir never starts again). */
export type LeaveMode = 'drain' | 'decommission'

/** Where a leaving node stands, as it answers each `leave` ask. */
export interface LeaveStatus {
  readonly mode: LeaveMode
  /** moving: entities move away; handing-off: storage partitions go to their new replicas;
   * stopping: all gone, the process exits */
  readonly state: 'moving' | 'handing-off' | 'stopping'
  /** Entities when the leave began (the job's total). */
  readonly total: number
  /** Entities still here. */
  readonly entities: number
  /** Moves since the leave began, by outcome. */
  readonly moves: Readonly<Record<string, number>>
  /** What is left and why (at most 20). */
  readonly left: ReadonlyArray<{ readonly item: string, readonly why: string }>
}

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

/** How long an entity has taken no messages when its hand-off leaves the old owner: `ms` since its
 * release began (the old owner's clock), at `at` (ms since the epoch, the old owner's wall clock). */
export interface PausedSince {
  readonly ms: number
  readonly at: number
}

/** The new owner's answer to an adopt: the pause, from the release's start to the entity running
 * here with the messages that waited delivered (the hop between the two read off their wall
 * clocks); 'ok' from a node that measures none. */
export type AdoptReply = 'ok' | { readonly pauseMs: number }

export type MigrationMsg =
  /** Old owner → new owner: take this entity (EntityHost.adopt); replies once it runs, with the
   * pause it measured when `paused` came (else 'ok'). */
  | { readonly type: 'adopt', readonly entityType: string, readonly key: string, readonly handOff: HandOff, readonly paused?: PausedSince, readonly replyTo: ReplyTo<AdoptReply> }
  /** New owner → a previous owner: hand `type/key` to `to` if you hold it; replies how it ended.
   * `trigger` 'admin': the new owner asks because an admin moves the entity to it. */
  | { readonly type: 'claim', readonly entityType: string, readonly key: string, readonly to: string, readonly trigger?: 'admin', readonly replyTo: ReplyTo<MoveResult> }
  /** An admin's node → the node an entity moves to: pin it here and take it from its owner. */
  | { readonly type: 'migrate', readonly entityType: string, readonly key: string, readonly replyTo: ReplyTo<MoveResult> }
  /** An admin's node → a node to drain or decommission: start leaving (once), answer where it
   * stands. `follow`: only answer where it stands (the job's later looks), NotLeavingError when it
   * is not leaving (a process restarted on the same identity is not drained again). */
  | { readonly type: 'leave', readonly mode: LeaveMode, readonly follow?: boolean, readonly replyTo: ReplyTo<LeaveStatus> }

/**
 * A migration request as it came off the wire, checked field by field (an entity's state and
 * messages are the entity type's to check: adopt runs its message check on each one).
 */
export function checkMigrationMsg (msg: unknown): MigrationMsg {
  const m = msg as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) throw new InvalidPeerRequestError('a migration request is an object')
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('a migration request needs a reply address')
  if (m.type === 'leave') {
    if (m.mode !== 'drain' && m.mode !== 'decommission') throw new InvalidPeerRequestError('mode: drain or decommission')
    if (m.follow !== undefined && typeof m.follow !== 'boolean') throw new InvalidPeerRequestError('follow: a boolean when present')
    return m as unknown as MigrationMsg
  }
  if (typeof m.entityType !== 'string' || m.entityType.length === 0 || m.entityType.length > LIMITS.type) throw new InvalidPeerRequestError('entityType')
  if (typeof m.key !== 'string' || m.key.length === 0 || m.key.length > LIMITS.key) throw new InvalidPeerRequestError('key')
  switch (m.type) {
    case 'adopt': {
      checkHandOff(m.handOff, `${m.entityType}/${m.key}`)
      const p = m.paused as Record<string, unknown> | null | undefined
      if (p !== undefined && (typeof p !== 'object' || p === null || !isDuration(p.ms) || !isDuration(p.at))) throw new InvalidPeerRequestError('paused: { ms, at }, both numbers >= 0')
      return m as unknown as MigrationMsg
    }
    case 'claim':
      if (typeof m.to !== 'string' || m.to.length === 0 || m.to.length > LIMITS.peerId) throw new InvalidPeerRequestError('to: a peer id')
      if (m.trigger !== undefined && m.trigger !== 'admin') throw new InvalidPeerRequestError('trigger: absent or admin')
      return m as unknown as MigrationMsg
    case 'migrate':
      return m as unknown as MigrationMsg
    default:
      throw new InvalidPeerRequestError(`unknown migration request ${shown(m.type, 64)}`)
  }
}

function checkHandOff (value: unknown, entity: string): asserts value is HandOff {
  const h = value as Record<string, unknown> | null
  if (typeof h !== 'object' || h === null) throw new InvalidPeerRequestError('handOff: an object')
  if (!Number.isSafeInteger(h.seq) || (h.seq as number) < 0) throw new InvalidPeerRequestError('handOff.seq: an integer >= 0')
  if (!Number.isSafeInteger(h.snapshotSeq) || (h.snapshotSeq as number) < 0) throw new InvalidPeerRequestError('handOff.snapshotSeq: an integer >= 0')
  if (!('state' in h)) throw new InvalidPeerRequestError('handOff.state is missing')
  if (!Array.isArray(h.buffered) || h.buffered.length > MAX_HANDOFF_MESSAGES) throw new InvalidPeerRequestError(`handOff.buffered: at most ${MAX_HANDOFF_MESSAGES} messages`)
  if (h.journal !== undefined) {
    // the old owner's hold on the journal: the new owner writes with it, so it is checked whole
    let ticket
    try {
      ticket = checkLogTicket(h.journal)
    } catch (err) {
      throw new InvalidPeerRequestError(`handOff.journal: ${(err as Error).message}`)
    }
    if (ticket.entity !== entity) throw new InvalidPeerRequestError(`handOff.journal: a ticket of ${clip(ticket.entity, 64)}, not of the entity moved`)
    if (ticket.head !== h.seq) throw new InvalidPeerRequestError(`handOff.journal: its head ${ticket.head} is not the seq handed over (${String(h.seq)})`)
  }
}

/** The pause a new owner measured, from its answer to an adopt as it came off the wire; undefined
 * when it measured none ('ok', from a node that does not) or answered something else (the
 * entity was taken all the same: the old owner's own measure stands). */
export function adoptedPause (answer: unknown): number | undefined {
  const pauseMs = (answer as { pauseMs?: unknown } | null)?.pauseMs
  return isDuration(pauseMs) ? pauseMs : undefined
}

function isDuration (v: unknown): v is number { return typeof v === 'number' && Number.isFinite(v) && v >= 0 }

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

/** A leave status as the leaving node answered it. */
export function checkLeaveStatus (value: unknown): LeaveStatus {
  const r = value as Record<string, unknown> | null
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0
  if (typeof r !== 'object' || r === null || (r.mode !== 'drain' && r.mode !== 'decommission') ||
    (r.state !== 'moving' && r.state !== 'handing-off' && r.state !== 'stopping') || !count(r.total) || !count(r.entities) ||
    typeof r.moves !== 'object' || r.moves === null || !Object.values(r.moves).every(count) ||
    !Array.isArray(r.left) || !r.left.every((l: unknown) => typeof l === 'object' && l !== null && typeof (l as { item?: unknown }).item === 'string' && typeof (l as { why?: unknown }).why === 'string')) {
    throw new InvalidPeerRequestError('not a leave status')
  }
  const moves = Object.fromEntries(Object.entries(r.moves as Record<string, number>).slice(0, 8).map(([k, v]) => [clip(k, 32), v]))
  const left = (r.left as Array<{ item: string, why: string }>).slice(0, 20).map((l) => ({ item: clip(l.item, 300), why: clip(l.why, 300) }))
  return { mode: r.mode, state: r.state, total: r.total as number, entities: r.entities as number, moves, left }
}
