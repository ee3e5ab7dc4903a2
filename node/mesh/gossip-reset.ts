import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { GOSSIP_QUIET_BEATS, GOSSIP_QUIET_MS, GOSSIP_RESET_MAX_MS, GOSSIP_RESET_MIN_MS, LATE_TIMER_SHARE } from './constants.ts'
import type { MemberTable } from './membership.ts'
import { refreshBeats } from './record-pacing.ts'

/** What the gossip reset reads of the member records received (MemberGossip). */
export interface HeardRecords {
  /** When the last record from `peer` arrived (wall ms). */
  heardAt (peer: string): number | undefined
  /** Forgets the peers `gone` says are gone. */
  forget (gone: (peer: string) => boolean): void
}

export interface GossipResetOptions {
  readonly libp2p: Libp2p
  readonly table: MemberTable
  readonly records: HeardRecords
  /** The heartbeat's period: `check` is called on every heartbeat. */
  readonly heartbeatMs: number
  /** Peers not to judge (a test's partition or silence, a member refused for its partition count). */
  readonly exempt: (peer: string) => boolean
  readonly log: { info (obj: object, msg: string): void }
}

/**
 * Repairs a broken gossip stream (GOSSIP_QUIET_MS, or GOSSIP_QUIET_BEATS record turns in a cluster
 * large enough that unchanged records come less often than every heartbeat): a peer connected (or
 * a member answering probes) from which no member record arrived for that long, at
 * GOSSIP_QUIET_BEATS heartbeats in a row that fired on time, has lost its gossip stream to this node while the connection lives;
 * its connections are closed (and redialled), which makes the streams anew. A peer reset keeps its
 * new connections at least a doubling gap (GOSSIP_RESET_MIN_MS up to GOSSIP_RESET_MAX_MS) before
 * the next reset.
 */
export class GossipReset {
  readonly #opts: GossipResetOptions
  #quietMs: number
  readonly #resets = new Map<string, { at: number, gap: number }>()
  /** Heartbeats in a row, each on time, at which a peer was quiet. */
  readonly #quietBeats = new Map<string, number>()
  #lastCheck: number

  constructor (opts: GossipResetOptions) {
    this.#opts = opts
    this.#quietMs = Math.max(GOSSIP_QUIET_MS, GOSSIP_QUIET_BEATS * opts.heartbeatMs)
    this.#lastCheck = performance.now()
  }

  /** One heartbeat's check: resets the gossip of peers quiet long enough, forgets peers gone. */
  check (): void {
    // a heartbeat that fired late is this node's own event loop having been busy (a long task, a
    // GC pause): what it did not hear meanwhile may still wait in its queue (probe answers can be
    // read before the records queued with them), so nothing counts until it runs on time again
    const tick = performance.now()
    const late = tick - this.#lastCheck > this.#opts.heartbeatMs * (1 + LATE_TIMER_SHARE)
    this.#lastCheck = tick
    if (late) {
      this.#quietBeats.clear()
      return
    }
    // a record unchanged comes every refreshBeats(N) heartbeats: quiet is judged against that
    this.#quietMs = Math.max(GOSSIP_QUIET_MS, GOSSIP_QUIET_BEATS * this.#opts.heartbeatMs * refreshBeats(this.#opts.table.records().length))
    const now = Date.now()
    const opened = new Map<string, number>()
    for (const c of this.#opts.libp2p.getConnections()) {
      const peer = c.remotePeer.toString()
      opened.set(peer, Math.min(opened.get(peer) ?? Infinity, c.timeline.open))
    }
    for (const [peer, since] of opened) this.#judge(peer, since, now, tick)
    this.#forgetGone(opened, now)
  }

  #judge (peer: string, since: number, now: number, tick: number): void {
    const { table, records } = this.#opts
    if (this.#opts.exempt(peer)) return
    const last = Math.max(records.heardAt(peer) ?? -Infinity, since)
    // a member heard before counts only while it answers probes (a silent network is the
    // prober's: it replaces connections that do not answer)
    const ack = table.detector.lastAck(peer)
    if (now - last < this.#quietMs || (table.has(peer) && (ack === undefined || tick - ack >= this.#quietMs))) {
      this.#quietBeats.delete(peer)
      return
    }
    const beats = (this.#quietBeats.get(peer) ?? 0) + 1
    this.#quietBeats.set(peer, beats)
    if (beats < GOSSIP_QUIET_BEATS) return
    this.#quietBeats.delete(peer)
    const reset = this.#resets.get(peer)
    if (reset !== undefined && now - reset.at < reset.gap) return
    this.#resets.set(peer, { at: now, gap: reset === undefined ? GOSSIP_RESET_MIN_MS : Math.min(GOSSIP_RESET_MAX_MS, reset.gap * 2) })
    this.#opts.log.info({ peer, quietMs: Math.round(now - last) }, `no member record from ${peer} in ${Math.round(now - last)} ms though connected${table.has(peer) ? ' and answering probes' : ''}: its gossip to this node is broken; reconnecting`)
    for (const c of this.#opts.libp2p.getConnections(peerIdFromString(peer))) c.close().catch(() => { c.abort(new Error('gossip reset')) })
  }

  /** A peer heard again starts from the shortest gap next time; one neither connected nor a
   * member any more is forgotten (nothing here grows with the peers ever seen). */
  #forgetGone (opened: ReadonlyMap<string, number>, now: number): void {
    const { table, records } = this.#opts
    const gone = (peer: string): boolean => !opened.has(peer) && !table.has(peer)
    for (const [peer, reset] of this.#resets) if ((records.heardAt(peer) ?? -Infinity) > reset.at || (gone(peer) && now - reset.at >= reset.gap)) this.#resets.delete(peer)
    records.forget(gone)
  }
}
