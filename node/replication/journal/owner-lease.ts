import { LEASE_REUSE_SLACK_MS } from '../constants.ts'
import { ReplicasUnavailableError, StaleEpochError } from '../errors.ts'
import type { LogState } from './log-state.ts'
import type { OwnerEnv } from './owner-env.ts'

export interface LeaseOptions {
  /** How long a replica's grant holds on its own clock (config `lease-ms`). */
  readonly ms: number
  /** The assumed bound on how much two clocks may disagree about a duration, as a fraction
   * (config `max-clock-drift`): the owner counts its lease as lasting ms * (1 - maxDrift). */
  readonly maxDrift: number
}

/** What a lease needs of its owner besides the log's state. */
export interface OwnerLeaseOwner {
  readonly entityId: string
  readonly activation: string
  /** Undefined: no leases (a node alone): every read is served as it is. */
  readonly lease: LeaseOptions | undefined
  readonly env: OwnerEnv
  readonly clock: () => number
  /** A replica promised a newer epoch: the log stops for good. */
  fail (err: Error): void
}

/** A round of `lease` requests in flight, and when it began (the owner's clock). */
export interface LeaseRound {
  done: Promise<void>
  readonly startedAt: number
}

/**
 * An owner's lease (docs/replication.md, "Leases"): W replicas that took a request of it refuse
 * any newer fence for `lease.ms` on their own clocks, so the owner may serve reads from what it
 * holds without asking anyone until the lease ends. Renewed by appends (replica-feed.ts) and by
 * rounds of `lease` while the entity is in use; let go of when the log closes, fails or is handed
 * over, so that the next owner need not wait it out.
 */
export class OwnerLease {
  readonly #s: LogState
  readonly #o: OwnerLeaseOwner
  /** The lease round in flight. */
  #renewing: LeaseRound | undefined
  #renewTimer: (() => void) | undefined
  /** When the latest round that took the lease ended (this owner's clock). */
  #roundEndedAt = -Infinity
  #released = false

  constructor (state: LogState, owner: OwnerLeaseOwner) {
    this.#s = state
    this.#o = owner
  }

  /** Until when (this owner's clock) no newer fence can succeed: W replicas took a request of this
   * lease, the W-th newest sent at g, each refusing newer fences for lease.ms on its own clock from
   * when it took it (after g); with clocks disagreeing by at most maxDrift, that is past
   * g + ms * (1 - maxDrift) here. */
  until (): number {
    const lease = this.#o.lease
    if (lease === undefined) return Infinity
    return this.#grantedAt() + lease.ms * (1 - lease.maxDrift)
  }

  /** g of `until`: the send time of the W-th newest request that a replica took (-Infinity: fewer
   * than W took one). */
  #grantedAt (): number {
    const tracks = this.#s.tracks
    // the W-th newest grant: the newest one that W replicas' grants are at least as new as (at most
    // seven replicas: no sorting, no allocation, on every message of the entity)
    let g = -Infinity
    for (const t of tracks) {
      if (t.granted <= g) continue
      let asNew = 0
      for (const u of tracks) if (u.granted >= t.granted) asNew++
      if (asNew >= this.#s.writeQuorum) g = t.granted
    }
    return g
  }

  /** Renews the lease with every replica written to (one round at a time); resolves once W took
   * it. A replica that promised a newer epoch fails the log (StaleEpochError). */
  renew (): LeaseRound {
    if (this.#renewing === undefined) {
      const round: LeaseRound = { done: Promise.resolve(), startedAt: this.#o.clock() }
      round.done = this.#leaseRound().finally(() => { if (this.#renewing === round) this.#renewing = undefined })
      this.#renewing = round
    }
    return this.#renewing
  }

  /**
   * One round of `lease` to the replicas written to. It confirms the epoch once W of them took it
   * in this round, whether or not the lease it renews is still valid when their answers arrive (on
   * a slow network it may not be): each took it at a time after the read began, with no newer
   * promise made, and a newer owner needs the promise of one of them, so none had taken the entity
   * then, and what this owner had acknowledged was all there was. The lease it renews serves the
   * reads after.
   */
  #leaseRound (): Promise<void> {
    const s = this.#s
    const { entityId: entity, env, clock } = this.#o
    const tracks = s.tracks.filter((t) => !t.broken)
    return new Promise<void>((resolve, reject) => {
      let pending = tracks.length
      let took = 0
      let settled = false
      const errors: string[] = []
      const settle = (err?: Error): void => {
        if (settled) return
        if (err !== undefined) {
          settled = true
          reject(err)
        } else if (took >= s.writeQuorum || clock() < this.until()) {
          settled = true
          this.#roundEndedAt = clock()
          this.armRenew()
          resolve()
        } else if (pending === 0) {
          settled = true
          reject(new ReplicasUnavailableError(entity, `reading: confirming that epoch ${s.epoch} is current`, s.writeQuorum, took, errors[0]))
        }
      }
      for (const t of tracks) {
        const sent = clock()
        env.call(t.node, { op: 'lease', entity, epoch: s.epoch, activation: this.#o.activation, holder: s.holder }).then((reply) => {
          if (reply.result === 'stale') {
            const err = new StaleEpochError(entity, s.epoch, reply.promised)
            this.#o.fail(err)
            settle(err)
            return
          }
          took++
          t.granted = Math.max(t.granted, sent)
        }, (err: unknown) => {
          errors.push(`${t.node}: ${(err as Error | undefined)?.message ?? String(err)}`)
        }).finally(() => {
          pending--
          if (s.failure !== undefined && s.failure.name !== 'StaleEpochError') settle(s.failure)
          settle()
        })
      }
      if (tracks.length === 0) settle()
    })
  }

  /** A read found the lease valid, `left` ms from its end: past half of it, renewed now if the
   * entity was used again since the lease was taken (#usedAgain). */
  keepWarm (left: number): void {
    const lease = this.#o.lease as LeaseOptions
    // a failed round fails what waits on it (a read); in the background nothing does, and the
    // log itself failed already when a newer owner was found
    if (left < lease.ms * (1 - lease.maxDrift) / 2 && this.#usedAgain()) this.renew().done.catch(noop)
    else this.armRenew()
  }

  /**
   * Whether the entity was used after the request that took its lease: later than a quarter of the
   * lease after the W-th newest grant was sent, and later than LEASE_REUSE_SLACK_MS after the last
   * lease round ended (a read that confirmed the epoch uses the entity again as soon as the round
   * ends, however long it took). Only such an entity is renewed in the background: one read does
   * not keep a lease warm on its own, one used about every half lease or more often stays warm. A
   * lease that lapses costs the next read one round; a renewal costs one whether or not a read
   * comes. (Renewing less is always safe: a read without a valid lease confirms first.)
   */
  #usedAgain (): boolean {
    const lease = this.#o.lease as LeaseOptions
    return this.#s.lastUse > Math.max(this.#grantedAt() + lease.ms * (1 - lease.maxDrift) / 4, this.#roundEndedAt + LEASE_REUSE_SLACK_MS)
  }

  /** Renews the lease when half of it is used, if the entity was used again since it was taken
   * (#usedAgain; one idle since lets it lapse: its next read confirms the epoch). One timer per log. */
  armRenew (): void {
    const s = this.#s
    const lease = this.#o.lease
    if (lease === undefined || this.#renewTimer !== undefined || s.closed || s.handedOver || s.failure !== undefined) return
    const { clock } = this.#o
    const half = lease.ms * (1 - lease.maxDrift) / 2
    const at = this.until() - half
    if (at === -Infinity) return
    this.#renewTimer = this.#o.env.timer(Math.max(0, at - clock()), () => {
      this.#renewTimer = undefined
      if (s.closed || s.handedOver || s.failure !== undefined) return
      // (renewed meanwhile by appends: armed again for the new half; a ms of slack, so that a timer
      // that fires a hair early does not re-arm itself for nothing)
      if (this.until() - clock() > half + 1) this.armRenew()
      // (as in keepWarm: a background round that fails has no one waiting on it)
      else if (this.#usedAgain()) this.renew().done.catch(noop)
    })
  }

  /** Lets go of the lease at every replica (the log closed, handed over, or failed): a newer owner
   * need not wait for it. */
  release (): void {
    if (this.#o.lease === undefined || this.#released) return
    this.#released = true
    this.#renewTimer?.()
    this.#renewTimer = undefined
    for (const t of [...this.#s.tracks, ...this.#s.sources]) {
      // a release that does not arrive costs the next owner one lease's wait, nothing more
      this.#o.env.call(t.node, { op: 'release', entity: this.#o.entityId, holder: this.#s.holder }).catch(noop)
    }
  }
}

function noop (): void {}
