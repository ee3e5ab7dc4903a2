import { HEARTBEAT_MAX_MS, HEARTBEAT_MIN_MS, HEARTBEATS_PER_FAILURE_TIMEOUT, RECORDS_EVERY_BEAT_UP_TO, RECORDS_PER_HEARTBEAT } from './constants.ts'

/** The heartbeat's period for a failure timeout: six per failure timeout, and at least one a second
 * whatever the timeout (a member is heard soon after it starts, and redials are tried at that pace). */
export function heartbeatMs (failureTimeoutMs: number): number {
  return Math.max(HEARTBEAT_MIN_MS, Math.min(HEARTBEAT_MAX_MS, Math.floor(failureTimeoutMs / HEARTBEATS_PER_FAILURE_TIMEOUT)))
}

/** Heartbeats between two sends of an unchanged record in a cluster of `members` (this node
 * included): every heartbeat up to RECORDS_EVERY_BEAT_UP_TO members, then fewer, so that the
 * whole cluster sends about RECORDS_PER_HEARTBEAT unchanged records per heartbeat whatever its size. */
export function refreshBeats (members: number): number {
  if (members <= RECORDS_EVERY_BEAT_UP_TO) return 1
  return Math.max(1, Math.ceil(members / RECORDS_PER_HEARTBEAT))
}

/**
 * When a member sends its record on a heartbeat: at once when what it says changed (roles,
 * status, addresses, models, pins...: anything but its load figures), else in its turn, every
 * refreshBeats(N) heartbeats on average (its load, and anti-entropy for a record lost on the way).
 * Each wait is drawn between half and one and a half turns, so that members that all sent at once
 * (a newcomer every member answers) drift apart again instead of sending together every turn.
 * Pure (the simulator runs it): the caller gives the record's content without load and the member
 * count; randomness is injected.
 */
export class RecordPacing {
  readonly #random: () => number
  #last: string | undefined
  #beats = 0
  /** This turn's length, as a share of refreshBeats (0.5 to 1.5). */
  #share = 1

  constructor (random: () => number = Math.random) {
    this.#random = random
  }

  /** One heartbeat: whether to send the record whose content (load left out) is `content`. */
  due (content: string, members: number): boolean {
    this.#beats++
    if (content === this.#last && this.#beats < Math.max(1, Math.round(this.#share * refreshBeats(members)))) return false
    this.sent(content)
    return true
  }

  /** A member this node did not know was heard: it has none of this node's record yet, so the next
   * heartbeat sends it whatever its turn (once per heartbeat however many joined meanwhile). */
  newcomer (): void {
    this.#last = undefined
  }

  /** The record was sent (in turn, or out of turn: a change announced at once): the next unchanged
   * send is a turn away. */
  sent (content: string): void {
    this.#last = content
    this.#beats = 0
    this.#share = 0.5 + this.#random()
  }
}
