import { LEASE_SWEEP_GRANTS } from '../constants.ts'

/** The leases a replica granted on one entity: holder → its activation and the time it ends. */
interface EntityLeases {
  /** The epoch they were granted in: a promise of a newer one ends them. */
  epoch: number
  readonly holders: Map<string, { readonly activation: string, until: number }>
}

export interface ReplicaLeasesOptions {
  /** How long a grant holds, on this replica's clock; 0: no leases (a node alone). */
  readonly leaseMs: number
  /** A monotonic clock in ms. */
  readonly clock: () => number
  /** When this process started, on `clock`: leases granted before a restart are forgotten. */
  readonly startedAt: number
}

/**
 * The owners' leases one replica granted (docs/replication.md, "Leases"): each holder's lease on
 * an entity ends `leaseMs` after its last grant on this replica's clock; while one holds, a fence
 * of another activation waits (ReplicaCore refuses it, saying how long). Expired ones are swept
 * now and then, so that an idle entity's lease is forgotten.
 */
export class ReplicaLeases {
  readonly #opts: ReplicaLeasesOptions
  readonly #leases = new Map<string, EntityLeases>()
  #grants = 0

  constructor (opts: ReplicaLeasesOptions) {
    this.#opts = opts
  }

  /** Grants `holder`, an owner of the epoch promised now, a lease from now on this clock. */
  grant (entity: string, epoch: number, holder: string, activation: string): void {
    if (this.#opts.leaseMs <= 0) return
    let leases = this.#leases.get(entity)
    if (leases === undefined || leases.epoch !== epoch) {
      leases = { epoch, holders: new Map() }
      this.#leases.set(entity, leases)
    }
    leases.holders.set(holder, { activation, until: this.#opts.clock() + this.#opts.leaseMs })
    if (++this.#grants % LEASE_SWEEP_GRANTS === 0) this.#sweep()
  }

  /** How long a fence of `activation` must wait for another owner's lease here (0: none). A
   * replica that started less than a lease ago may have granted one it forgot: it waits that out
   * for every entity that had a promise. */
  wait (entity: string, promised: number, activation: string): number {
    const { leaseMs, startedAt } = this.#opts
    if (leaseMs <= 0) return 0
    const now = this.#opts.clock()
    let until = promised > 0 ? startedAt + leaseMs : 0
    const leases = this.#leases.get(entity)
    if (leases !== undefined) {
      for (const [holder, lease] of leases.holders) {
        if (lease.until <= now) leases.holders.delete(holder)
        else if (lease.activation !== activation) until = Math.max(until, lease.until)
      }
      if (leases.holders.size === 0) this.#leases.delete(entity)
    }
    return Math.max(0, until - now)
  }

  /** The holder let go (its log closed, failed or was handed over). */
  release (entity: string, holder: string): void {
    this.#leases.get(entity)?.holders.delete(holder)
  }

  /** Every lease of the entity ends (a newer epoch was promised: they were of an older one). */
  end (entity: string): void {
    this.#leases.delete(entity)
  }

  /** Entities with a lease held (or not yet swept). */
  get entities (): number { return this.#leases.size }

  #sweep (): void {
    const now = this.#opts.clock()
    for (const [entity, leases] of this.#leases) {
      for (const [holder, lease] of leases.holders) if (lease.until <= now) leases.holders.delete(holder)
      if (leases.holders.size === 0) this.#leases.delete(entity)
    }
  }
}
