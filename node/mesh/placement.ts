import { createHash } from 'node:crypto'
import { NoOwnerError } from './errors.ts'

/** A member as placement sees it. */
export interface Candidate {
  readonly peerId: string
  readonly roles: readonly string[]
  /** Relative weight: a member with twice the capacity owns about twice the entities. */
  readonly capacity: number
}

/** Owners remembered per entity id; the table is emptied on every view change. */
const OWNER_CACHE_MAX = 100_000
/** Views replaced this recently are remembered: an entity's owner in one of them may still hold it
 * live (its move has not happened yet), so a new owner asks it first (previousOwners). */
export const PREVIOUS_VIEWS_MS = 60_000
const PREVIOUS_VIEWS_MAX = 8

/**
 * Rendezvous (highest random weight) hashing, weighted: every member scores `-capacity / ln(u)`
 * where u in (0, 1) is a hash of the entity id and the member's peer id; the highest score owns
 * the entity. Every node computes the same owner from the same view, and a member joining or
 * leaving moves only the entities it wins or held.
 */
export function rendezvousOwner (id: string, candidates: readonly Candidate[]): string | undefined {
  let best: string | undefined
  let bestScore = -Infinity
  for (const c of candidates) {
    const score = rendezvousScore(id, c)
    if (score > bestScore || (score === bestScore && best !== undefined && c.peerId < best)) {
      best = c.peerId
      bestScore = score
    }
  }
  return best
}

/** The first `n` candidates for `id` by the same scores, best first (a partition's replicas). */
export function rendezvousRanking (id: string, candidates: readonly Candidate[], n: number): string[] {
  return candidates.map((c) => ({ peerId: c.peerId, score: rendezvousScore(id, c) }))
    .sort((a, b) => b.score - a.score || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
    .slice(0, Math.max(0, n))
    .map((c) => c.peerId)
}

function rendezvousScore (id: string, c: Candidate): number {
  const digest = createHash('sha256').update(id).update('\0').update(c.peerId).digest()
  // 48 bits of the hash, mapped into (0, 1): never 0, never 1, uniform (so -ln(u) is
  // exponential and a member wins with probability capacity / total capacity)
  const u = (digest.readUIntBE(0, 6) + 0.5) / 2 ** 48
  return -c.capacity / Math.log(u)
}

/**
 * This node's placement view: the members that can own entities (up or suspect, not draining,
 * this node included while it is not draining), by role. `ownerOf` answers from a cache that a
 * view change empties; an owner learnt from a peer (after a forward) is cached the same way.
 */
export class Placement {
  readonly self: string
  #byRole = new Map<string, Candidate[]>()
  #signature = ''
  readonly #owners = new Map<string, string>()
  /** Views replaced, the newest first, each with when it was replaced. */
  #previous: Array<{ readonly byRole: Map<string, Candidate[]>, readonly until: number }> = []

  constructor (self: string) {
    this.self = self
  }

  /** Takes the current candidates; true when the view changed (the cache is then emptied). */
  update (candidates: readonly Candidate[]): boolean {
    const sorted = [...candidates].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
    const signature = sorted.map((c) => `${c.peerId}:${[...c.roles].sort().join(',')}:${c.capacity}`).join(' ')
    if (signature === this.#signature) return false
    this.#signature = signature
    const byRole = new Map<string, Candidate[]>()
    for (const c of sorted) {
      for (const role of c.roles) {
        const list = byRole.get(role) ?? []
        list.push(c)
        byRole.set(role, list)
      }
    }
    const now = Date.now()
    this.#previous = [{ byRole: this.#byRole, until: now }, ...this.#previous]
      .filter((v) => now - v.until < PREVIOUS_VIEWS_MS).slice(0, PREVIOUS_VIEWS_MAX)
    this.#byRole = byRole
    this.#owners.clear()
    return true
  }

  /**
   * The owners of `type/key` in the views replaced in the last PREVIOUS_VIEWS_MS, the most recent
   * first, without the owner now: where the entity may still be active while its move is on its way.
   */
  previousOwners (type: string, role: string, key: string): string[] {
    const id = `${type}/${key}`
    const now = Date.now()
    const current = rendezvousOwner(id, this.#byRole.get(role) ?? [])
    const out: string[] = []
    for (const view of this.#previous) {
      if (now - view.until >= PREVIOUS_VIEWS_MS) break
      const owner = rendezvousOwner(id, view.byRole.get(role) ?? [])
      if (owner !== undefined && owner !== current && !out.includes(owner)) out.push(owner)
    }
    return out
  }

  /** The owner of `type/key` in this view, or NoOwnerError when no candidate holds the role. */
  ownerOf (type: string, role: string, key: string): string | NoOwnerError {
    const id = `${type}/${key}`
    const cached = this.#owners.get(id)
    if (cached !== undefined) return cached
    const owner = rendezvousOwner(id, this.#byRole.get(role) ?? [])
    if (owner === undefined) return new NoOwnerError(type, role)
    this.#remember(id, owner)
    return owner
  }

  /** A peer reported where `type/key` lives (it handled a message forwarded to it). */
  learnOwner (type: string, key: string, owner: string): void {
    this.#remember(`${type}/${key}`, owner)
  }

  /** Whether `peer` is a candidate for `role` in this view. */
  holds (peer: string, role: string): boolean {
    return (this.#byRole.get(role) ?? []).some((c) => c.peerId === peer)
  }

  /** The candidates of each role, for logs and the admin API. */
  view (): Record<string, string[]> {
    return Object.fromEntries([...this.#byRole].map(([role, list]) => [role, list.map((c) => c.peerId)]))
  }

  #remember (id: string, owner: string): void {
    if (this.#owners.size >= OWNER_CACHE_MAX) {
      const oldest = this.#owners.keys().next()
      if (oldest.done !== true) this.#owners.delete(oldest.value)
    }
    this.#owners.set(id, owner)
  }
}
