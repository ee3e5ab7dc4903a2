import { HANDOVER_RECORDS } from '../constants.ts'
import type { EntityLogOptions } from './entity-log-options.ts'
import { newTrack } from './log-state.ts'
import type { LogInit, LogState, ReplicaTrack } from './log-state.ts'
import type { LogTicket } from './log-ticket.ts'

/**
 * The hand-over of an entity's journal in a live move (docs/replication.md, "Hand-over"): the old
 * owner's log as a ticket, and the next owner's log resumed from one. No fence, no recovery: the
 * same epoch and activation, the same head and commitment, and the records the old owner had in
 * flight fed on by both until W replicas hold them.
 */

/** The ticket of `state` handed over now as `id`; undefined when it cannot travel: more in flight
 * than a ticket carries, or in-flight records the tail no longer holds. */
export function handOverTicket (state: LogState, entityId: string, activation: string, id: string, version?: number): LogTicket | undefined {
  const inFlight = state.head - state.committed
  // the tail keeps every record not yet acknowledged (trimTail drops only acknowledged ones)
  const from = state.committed + 1 - state.tailStart
  const tail = from < 0 ? [] : state.tail.slice(from)
  if (inFlight > HANDOVER_RECORDS || from < 0 || tail.length !== inFlight) return undefined
  const standing = (t: ReplicaTrack): { node: string, match: number } => ({ node: t.node, match: t.match })
  return {
    id,
    entity: entityId,
    epoch: state.epoch,
    activation,
    head: state.head,
    committed: state.committed,
    sealed: state.sealed,
    segments: state.segments.map(([epoch, first]) => [epoch, first] as const),
    writeQuorum: state.writeQuorum,
    replicas: state.tracks.map(standing),
    sources: state.sources.map(standing),
    tail: tail.map((r) => ({ seq: r.seq, epoch: r.epoch, event: r.event })),
    ...(version !== undefined && { version }),
    ...(state.moving && { moving: true as const }),
    ...(state.revised > 0 && { revised: state.revised }),
    ...(state.revisedEpoch > 0 && { revisedEpoch: state.revisedEpoch }),
    ...(state.floor > 1 && { floor: state.floor }),
    ...(state.floor > 1 && state.floorEpoch !== undefined && { floorEpoch: state.floorEpoch })
  }
}

/** How the next owner's log starts from `ticket`; undefined when the ticket does not fit this
 * owner's view: another entity, or another replica set or write quorum, or another configuration
 * version of the partition (a roster change between the two views: the caller then opens the log,
 * which fences). */
export function resumedInit (opts: Omit<EntityLogOptions, 'activation' | 'formerHolders'>, ticket: LogTicket): LogInit | undefined {
  const version = typeof opts.version === 'function' ? opts.version() : opts.version
  if (ticket.version !== version) return undefined
  if (ticket.entity !== opts.entityId || ticket.writeQuorum !== opts.writeQuorum || ticket.replicas.length !== opts.replicas.length ||
    !opts.replicas.every((node) => ticket.replicas.some((r) => r.node === node))) return undefined
  const track = (r: { readonly node: string, readonly match: number }, broken: boolean): ReplicaTrack => newTrack(r.node, { match: r.match, broken })
  return {
    epoch: ticket.epoch,
    head: ticket.head,
    segments: [...ticket.segments],
    tail: ticket.tail.map((r) => ({ seq: r.seq, epoch: r.epoch, event: r.event })),
    tailStart: ticket.committed + 1,
    sealed: ticket.sealed,
    committed: ticket.committed,
    tracks: opts.replicas.map((node) => track(ticket.replicas.find((r) => r.node === node) as LogTicket['replicas'][number], false)),
    sources: ticket.sources.filter((s) => !opts.replicas.includes(s.node)).map((s) => track(s, true)),
    // the new owner has the state handed over: it never loads a snapshot back
    snapshotHolders: [],
    // its own lease (the old owner lets go of its): granted by its first append or confirmation
    holder: `${ticket.activation}~${Math.floor(opts.env.random() * 2 ** 52).toString(36)}`,
    readFloor: ticket.head,
    ...(ticket.revised !== undefined && { revised: ticket.revised }),
    ...(ticket.revisedEpoch !== undefined && { revisedEpoch: ticket.revisedEpoch }),
    ...(ticket.floor !== undefined && { floor: ticket.floor }),
    ...(ticket.floorEpoch !== undefined && { floorEpoch: ticket.floorEpoch }),
    ...(ticket.moving === true && { moving: true })
  }
}
