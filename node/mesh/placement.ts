import { createHash } from 'node:crypto'
import { NoOwnerError } from './errors.ts'

/** A member as placement sees it. */
export interface Candidate {
  readonly peerId: string
  readonly roles: readonly string[]
  /** Relative weight: a member with twice the capacity owns about twice the entities. */
  readonly capacity: number
  /** Entities this member holds pinned (an admin moved them there): pin id (pinIdOf) → its number.
   * Placement gives a pinned entity to the candidate of its role with the highest number (ties:
   * the lower peer id) instead of its hash owner. */
  readonly pins?: ReadonlyMap<string, number>
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

/**
 * The id of `type/key`'s pin as members announce it: 12 bytes of its SHA-256, base64url (16
 * characters), so a member's record holds hundreds of pins whatever the keys' lengths.
 */
export function pinIdOf (type: string, key: string): string {
  return createHash('sha256').update(`${type}/${key}`).digest().subarray(0, 12).toString('base64url')
}

/** One view: the candidates of each role, and the pinned entities of each role (pin id → the
 * candidate whose pin wins, with its number). */
interface View {
  readonly byRole: Map<string, Candidate[]>
  readonly pinned: Map<string, Map<string, { readonly peerId: string, readonly n: number }>>
}

const EMPTY_VIEW: View = { byRole: new Map(), pinned: new Map() }

function ownerIn (view: View, type: string, role: string, key: string): string | undefined {
  const pinned = view.pinned.get(role)
  if (pinned !== undefined && pinned.size > 0) {
    const pin = pinned.get(pinIdOf(type, key))
    if (pin !== undefined) return pin.peerId
  }
  return rendezvousOwner(`${type}/${key}`, view.byRole.get(role) ?? [])
}

function rendezvousScore (id: string, c: Candidate): number {
  const digest = createHash('sha256').update(id).update('\0').update(c.peerId).digest()
  // 48 bits of the hash, mapped into (0, 1): never 0, never 1, uniform (so -ln(u) is
  // exponential and a member wins with probability capacity / total capacity)
  const u = (digest.readUIntBE(0, 6) + 0.5) / 2 ** 48
  return -c.capacity / Math.log(u)
}

function pinsSignature (pins: ReadonlyMap<string, number> | undefined): string {
  if (pins === undefined || pins.size === 0) return ''
  let out = ''
  for (const [id, n] of pins) out += `${id}=${n};`
  return out
}

/**
 * This node's placement view: the members that can own entities (up or suspect, not draining,
 * this node included while it is not draining), by role. `ownerOf` answers from a cache that a
 * view change empties; an owner learnt from a peer (after a forward) is cached the same way.
 */
export class Placement {
  readonly self: string
  #view: View = EMPTY_VIEW
  #signature = ''
  readonly #owners = new Map<string, string>()
  /** Views replaced, the newest first, each with when it was replaced. */
  #previous: Array<{ readonly view: View, readonly until: number }> = []
  /** Members that take no entities now but still hold some until they exit (draining). */
  #leaving: Candidate[] = []

  constructor (self: string) {
    this.self = self
  }

  /**
   * Takes the current candidates; true when the view changed (the cache is then emptied).
   * `leaving`: members that are no candidates but still hold entities until they exit (draining):
   * previousOwners names them however long ago they stopped being candidates.
   */
  update (candidates: readonly Candidate[], leaving: readonly Candidate[] = []): boolean {
    this.#leaving = [...leaving]
    const sorted = [...candidates].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
    const signature = sorted.map((c) => `${c.peerId}:${[...c.roles].sort().join(',')}:${c.capacity}:${pinsSignature(c.pins)}`).join(' ')
    if (signature === this.#signature) return false
    this.#signature = signature
    const byRole = new Map<string, Candidate[]>()
    const pinned = new Map<string, Map<string, { peerId: string, n: number }>>()
    for (const c of sorted) {
      for (const role of c.roles) {
        const list = byRole.get(role) ?? []
        list.push(c)
        byRole.set(role, list)
        if (c.pins === undefined || c.pins.size === 0) continue
        const pins = pinned.get(role) ?? new Map<string, { peerId: string, n: number }>()
        pinned.set(role, pins)
        // sorted by peer id: on equal numbers the lower peer id, seen first, keeps the pin
        for (const [id, n] of c.pins) {
          const held = pins.get(id)
          if (held === undefined || n > held.n) pins.set(id, { peerId: c.peerId, n })
        }
      }
    }
    const now = Date.now()
    this.#previous = [{ view: this.#view, until: now }, ...this.#previous]
      .filter((v) => now - v.until < PREVIOUS_VIEWS_MS).slice(0, PREVIOUS_VIEWS_MAX)
    this.#view = { byRole, pinned }
    this.#owners.clear()
    return true
  }

  /** The winning pin of `type/key` in this view among the candidates of `role` (undefined: none). */
  pinOf (type: string, role: string, key: string): { readonly peerId: string, readonly n: number } | undefined {
    return this.#view.pinned.get(role)?.get(pinIdOf(type, key))
  }

  /**
   * The owners of `type/key` in the views replaced in the last PREVIOUS_VIEWS_MS, the most recent
   * first, then a leaving member that would own it were it still a candidate, without the owner
   * now: where the entity may still be active while its move is on its way. A draining member
   * keeps its entities until its drain moves them, which may take longer than PREVIOUS_VIEWS_MS
   * (10,000 rooms: 20 s to 95 s on two cores) or outlast PREVIOUS_VIEWS_MAX view changes.
   */
  previousOwners (type: string, role: string, key: string): string[] {
    const now = Date.now()
    const current = ownerIn(this.#view, type, role, key)
    const out: string[] = []
    for (const { view, until } of this.#previous) {
      if (now - until >= PREVIOUS_VIEWS_MS) break
      const owner = ownerIn(view, type, role, key)
      if (owner !== undefined && owner !== current && !out.includes(owner)) out.push(owner)
    }
    const leaving = this.#leaving.filter((c) => c.roles.includes(role))
    if (leaving.length > 0) {
      const owner = rendezvousOwner(`${type}/${key}`, [...this.#view.byRole.get(role) ?? [], ...leaving])
      if (owner !== undefined && owner !== current && !out.includes(owner) && leaving.some((c) => c.peerId === owner)) out.push(owner)
    }
    return out
  }

  /** The owner of `type/key` in this view, or NoOwnerError when no candidate holds the role. */
  ownerOf (type: string, role: string, key: string): string | NoOwnerError {
    const id = `${type}/${key}`
    const cached = this.#owners.get(id)
    if (cached !== undefined) return cached
    const owner = ownerIn(this.#view, type, role, key)
    if (owner === undefined) return new NoOwnerError(type, role)
    this.#remember(id, owner)
    return owner
  }

  /**
   * A peer reported where `type/key` lives (it handled a message forwarded to it). Ignored unless
   * `owner` is a candidate for `role` in this view: a member that drains still handles the
   * messages of entities it is handing off, but it owns nothing, and the hint would outlive it
   * (its exit changes no view, so nothing would forget it, and messages sent to it after its exit
   * wait for answers that never come).
   */
  learnOwner (type: string, role: string, key: string, owner: string): void {
    if (!this.holds(owner, role)) return
    this.#remember(`${type}/${key}`, owner)
  }

  /** Whether `peer` is a candidate for `role` in this view. */
  holds (peer: string, role: string): boolean {
    return (this.#view.byRole.get(role) ?? []).some((c) => c.peerId === peer)
  }

  /** The candidates of each role, for logs and the admin API. */
  view (): Record<string, string[]> {
    return Object.fromEntries([...this.#view.byRole].map(([role, list]) => [role, list.map((c) => c.peerId)]))
  }

  #remember (id: string, owner: string): void {
    if (this.#owners.size >= OWNER_CACHE_MAX) {
      const oldest = this.#owners.keys().next()
      if (oldest.done !== true) this.#owners.delete(oldest.value)
    }
    this.#owners.set(id, owner)
  }
}
