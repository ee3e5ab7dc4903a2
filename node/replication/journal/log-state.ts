import { OWNER_TAIL_RECORDS, RETRY_MIN_MS } from '../constants.ts'
import type { StoredRecord, StoredSnapshot } from '../replica/replica-protocol.ts'
import { epochAt } from './log-summary.ts'
import type { LogSummary, Segment } from './log-summary.ts'

/** An owner's view of one replica. */
export interface ReplicaTrack {
  readonly node: string
  /** The highest seq where the replica's log is known to equal the owner's; -1: not known yet. */
  match: number
  summary: LogSummary | undefined
  busy: boolean
  /** The replica failed in a way that waiting does not mend (its disk, a refusal): not fed again
   * by this activation. */
  broken: boolean
  /** A retry is scheduled (the replica did not answer). */
  waiting: boolean
  backoff: number
  /** When the latest request that this replica took for this owner's lease was sent, on the
   * owner's clock (-Infinity: none). */
  granted: number
}

/** A replica's track as an owner starts it: not busy, not waiting, with the first backoff. */
export function newTrack (node: string, from: { match?: number, summary?: LogSummary, broken?: boolean, granted?: number } = {}): ReplicaTrack {
  return { node, summary: from.summary, match: from.match ?? -1, busy: false, broken: from.broken ?? false, waiting: false, backoff: RETRY_MIN_MS, granted: from.granted ?? -Infinity }
}

/** How a log starts: recovered by a fence round (entity-take.ts), or resumed from a hand-over
 * (log-hand-over.ts). */
export interface LogInit {
  readonly epoch: number
  readonly head: number
  readonly segments: Segment[]
  readonly tail: StoredRecord[]
  readonly tailStart: number
  readonly sealed: number
  readonly committed: number
  readonly tracks: ReplicaTrack[]
  readonly sources: ReplicaTrack[]
  readonly snapshotHolders: Array<{ node: string, seq: number }>
  /** Names this log's lease at the replicas: the activation, or the activation and a suffix for a
   * log resumed from a hand-over. */
  readonly holder: string
  /** Reads wait until this seq is acknowledged (a resumed log's head: writes the previous owner had
   * in flight may have been acknowledged to their writers there). */
  readonly readFloor: number
  /** The first seq the log holds (1: never trimmed), and the epoch of the record before it. */
  readonly floor?: number
  readonly floorEpoch?: number
  /** The latest rewrite generation known (LogSummary.revised), with its owner's epoch. */
  readonly revised?: number
  readonly revisedEpoch?: number
  /** Resumed from a log that was moving to a newer configuration (journal/log-move.ts). */
  readonly moving?: boolean
}

/**
 * One activation's log as its owner holds it, shared by the parts of its EntityLog (the feed that
 * sends it to the replicas, the lease, the commitment): its head, its segments, its newest records
 * in memory, what W replicas hold, and its standing with each replica. Nothing outside the
 * journal's owner side sees it; the parts move it as the log goes on.
 */
export class LogState {
  readonly epoch: number
  /** W: replicas that must hold a record before it is acknowledged (changes with reconfigure). */
  writeQuorum: number
  /** The replicas written to, each with its pump. */
  tracks: ReplicaTrack[]
  /** Former holders that answered the fence, and replicas dropped by reconfigure: sources of
   * records for the replicas, never written to. */
  sources: ReplicaTrack[]
  /** Replicas holding a snapshot not past the recovered head, the newest first. */
  readonly snapshotHolders: Array<{ node: string, seq: number }>
  head: number
  segments: Segment[]
  tail: StoredRecord[]
  tailStart: number
  committed: number
  /** The seq sealed in this epoch by recovery: commitment counts only from it on. */
  readonly sealed: number
  readonly holder: string
  readonly readFloor: number
  failure: Error | undefined
  closed = false
  /** Handed over (EntityLog.handOver): no more appends; the records in flight are still fed to the
   * replicas until W hold them (their writers are told), then the log closes by itself. */
  handedOver = false
  /** Its partition is moving to a newer configuration (journal/log-move.ts): nothing more is
   * acknowledged until the log writes to the new set. */
  moving = false
  /** When the entity last read or wrote (the lease is kept warm only for one in use). */
  lastUse = -Infinity
  /** The first seq the log holds: records below it were trimmed (docs/replication.md, "Rewrites
   * and trims"). 1 until trimmed. */
  floor: number
  /** The epoch of the record `floor − 1` (undefined when the floor is 1, or not known). */
  floorEpoch: number | undefined
  /** A snapshot covering `floor − 1`, once this owner trimmed or loaded one: what a replica whose
   * log ends below the floor is given with the trim that brings it up to it. */
  floorSnapshot: StoredSnapshot | undefined
  /** The revisions this owner's rewrites gave (seq → rev): a read skips a replica whose copy is
   * older (it missed the rewrite; anti-entropy brings it). */
  readonly revs = new Map<number, number>()
  /** Replicas this owner sent its floor to (one whose log reaches it, and whose floor is lower,
   * is sent it once: ReplicaFeed). */
  readonly floorSent = new Set<string>()
  /** The generation of the latest rewrite of the entity known (acknowledged, or read off a
   * replica): reads go only to replicas holding it (LogSummary.revised). */
  revised: number
  /** The epoch of the owner that made generation `revised` (log-summary.ts, Generation). */
  revisedEpoch: number

  constructor (init: LogInit, writeQuorum: number) {
    this.epoch = init.epoch
    this.writeQuorum = writeQuorum
    this.head = init.head
    this.segments = init.segments
    this.tail = init.tail
    this.tailStart = init.tailStart
    this.sealed = init.sealed
    this.committed = init.committed
    this.tracks = init.tracks
    this.sources = init.sources
    this.snapshotHolders = init.snapshotHolders
    this.moving = init.moving === true
    this.holder = init.holder
    this.readFloor = init.readFloor
    this.floor = init.floor ?? 1
    this.floorEpoch = init.floorEpoch
    this.revised = init.revised ?? 0
    this.revisedEpoch = init.revisedEpoch ?? 0
  }

  ownLog (): { segments: readonly Segment[], head: number, floor?: number } {
    return this.floor > 1 ? { segments: this.segments, head: this.head, floor: this.floor } : { segments: this.segments, head: this.head }
  }

  /** The epoch of seq in the owner's log, when the tail or the segments know it. */
  epochOf (seq: number): number | undefined {
    if (seq >= this.tailStart && seq <= this.head) return (this.tail[seq - this.tailStart] as StoredRecord).epoch
    if (seq === this.floor - 1 && this.floorEpoch !== undefined) return this.floorEpoch
    return epochAt(this.segments, this.head, seq)
  }

  trimTail (): void {
    // keep what a replica not yet in step may need, within the bound; older records are read
    // from a replica that holds them
    // trimmed in halves, not one record per append (a splice shifts the whole array)
    if (this.tail.length <= 2 * OWNER_TAIL_RECORDS) return
    const excess = this.tail.length - OWNER_TAIL_RECORDS
    const drop = Math.min(excess, Math.max(0, this.committed - this.tailStart + 1))
    if (drop <= 0) return
    this.tail.splice(0, drop)
    this.tailStart += drop
  }
}
