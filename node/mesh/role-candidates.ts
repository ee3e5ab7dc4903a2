import type { MemberView } from './membership.ts'
import type { Candidate } from './placement.ts'

/** What a node knows when it chooses placement's candidates (one refresh of its view). */
export interface RoleCandidatesInput {
  /** This node's peer id. */
  readonly self: string
  readonly selfRoles: readonly string[]
  /** This node's placement weight. */
  readonly capacity: number
  /** This node takes entities (false while it drains). */
  readonly serving: boolean
  /** This node has served the settle time. */
  readonly selfSettled: boolean
  /** The other members settled in this view (Settling). */
  readonly settled: ReadonlySet<string>
  /** The other members as heard. */
  readonly others: readonly MemberView[]
  /** This node's pins (pin id → number). */
  readonly pins?: ReadonlyMap<string, number>
  /** Another member's pins as a map (cached by the array its record carried). */
  readonly pinsOf: (list: ReadonlyArray<readonly [string, number]>) => ReadonlyMap<string, number>
}

/**
 * Placement's candidates for one view. Each role's candidates are the members settled that hold
 * it. None: every member up that holds it (settling never leaves a role without an owner: a drain
 * while the others have just come up hands its entities to them, a new cluster's first members
 * share them from the start), until one of them settles. This reads only the members' records
 * (and how long each has been up in this view), so every node's view agrees. None either: this
 * node if it holds the role, serving or not (a lone node that starts, one draining entities nobody
 * else can take: they stay until it exits).
 */
export function roleCandidates (input: RoleCandidatesInput): Candidate[] {
  const { self, selfRoles, serving, selfSettled, settled, others } = input
  const up = others.filter((m) => m.status === 'up' || m.status === 'suspect')
  const rolesOf = new Map<string, string[]>()
  for (const role of new Set([...selfRoles, ...up.flatMap((m) => m.roles)])) {
    const selfHolds = selfRoles.includes(role)
    const holders = [...up.filter((m) => m.roles.includes(role)).map((m) => m.peerId), ...selfHolds && serving ? [self] : []]
    const settledHolders = holders.filter((p) => p === self ? selfSettled : settled.has(p))
    let chosen = settledHolders.length > 0 ? settledHolders : holders
    if (chosen.length === 0 && selfHolds) chosen = [self]
    for (const p of chosen) rolesOf.set(p, [...rolesOf.get(p) ?? [], role])
  }
  const candidates: Candidate[] = []
  for (const m of others) {
    const roles = rolesOf.get(m.peerId)
    if (roles !== undefined) candidates.push({ peerId: m.peerId, roles, capacity: m.capacity, ...(m.pins !== undefined && m.pins.length > 0 && { pins: input.pinsOf(m.pins) }) })
  }
  const mine = rolesOf.get(self)
  if (mine !== undefined) candidates.push({ peerId: self, roles: mine, capacity: input.capacity, ...(input.pins !== undefined && input.pins.size > 0 && { pins: input.pins }) })
  return candidates
}

/** The members draining: they still hold what their drain has not moved yet, so a new owner asks
 * them first (placement's leaving members). */
export function leavingCandidates (self: string, members: readonly MemberView[]): Candidate[] {
  return members
    .filter((m) => m.peerId !== self && m.status === 'draining')
    .map((m) => ({ peerId: m.peerId, roles: m.roles, capacity: m.capacity }))
}
