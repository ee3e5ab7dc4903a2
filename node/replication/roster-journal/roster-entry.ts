import { majority } from '../journal/quorum.ts'
import { shown } from '../../../protocols/index.ts'

/**
 * Roster versions (docs/replication.md, "Roster versions"): the storage roster as an agreed,
 * ordered list of versions, each the whole roster after one change, kept in the roster journal
 * (roster-keeper.ts) whose record seq is the version.
 */

/** A storage node as a roster version holds it. `leaving`: heard without the storage role (it hands
 * its partitions off); `replaced`: down past replica-replace-after. */
export interface VersionMember {
  readonly peerId: string
  readonly capacity: number
  readonly state?: 'leaving' | 'replaced'
}

/** One change from a version to the next (a `form` only as version 1). */
export type RosterChange =
  | { readonly kind: 'form', readonly members: readonly VersionMember[] }
  | { readonly kind: 'join' | 'capacity', readonly peerId: string, readonly capacity: number }
  | { readonly kind: 'leave' | 'replace' | 'back' | 'forget', readonly peerId: string }
  /** Hand-offs settled (docs/replication.md, "When a hand-off is settled"): each [partition,
   * configuration version] drops the partition's earlier sets below that version. Members stay. */
  | { readonly kind: 'settle', readonly settled: ReadonlyArray<readonly [number, number]> }

export interface RosterVersion {
  readonly version: number
  /** Every storage node of this version, sorted by peer id. */
  readonly members: readonly VersionMember[]
  /** What made it from the version before. */
  readonly change: RosterChange
}

/** Most storage nodes a version may hold (a frame stays far below the mesh's limit). */
export const MAX_VERSION_MEMBERS = 1_024
const MAX_PEER_ID = 128
const MAX_CAPACITY = 1_000_000
const KINDS = new Set(['form', 'join', 'capacity', 'leave', 'replace', 'back', 'forget', 'settle'])
/** Most partitions one settle names (a version stays small). */
export const MAX_SETTLED = 1_024
/** Highest partition a settle may name (the partition count's own bound). */
const MAX_PARTITION = 65_535

/** The nodes that keep the roster journal under a version: its members but leaving and replaced
 * ones (replaced ones are down for good; leaving ones hand their storage off and are then stopped,
 * or decommissioned: counted, a cluster that lost one more node would have no majority left to
 * make a version, its replacement included). Sorted by peer id. Each change moves one node in or
 * out of it (Raft's single-server change). */
export function journalSet (v: RosterVersion): string[] {
  return v.members.filter((m) => m.state === undefined).map((m) => m.peerId)
}

/** The roster journal's write quorum under a version: a majority of its set, so that the quorums of
 * two versions one change apart meet (Raft's single-server change). */
export function journalQuorum (v: RosterVersion): number {
  return majority(journalSet(v).length)
}

/**
 * The version after `v` with `change`, or why the change does not apply to it (a node joining that
 * is a member already, one leaving or replaced that is not a member, a change that leaves no node
 * to keep the journal): a change proposed twice, or on an older view, is refused, never applied twice.
 */
export function applyChange (v: RosterVersion, change: RosterChange): RosterVersion | { readonly refused: string } {
  const members = new Map(v.members.map((m) => [m.peerId, m]))
  const known = change.kind === 'form' || change.kind === 'settle' ? undefined : members.get(change.peerId)
  const refuse = (why: string): { refused: string } => ({ refused: `${change.kind}${'peerId' in change ? ` ${shown(change.peerId, 40)}` : ''}: ${why}` })
  switch (change.kind) {
    case 'form': return refuse('only the first version forms a roster')
    case 'settle':
      if (change.settled.some(([, version]) => version > v.version)) return refuse(`names a configuration version past ${v.version}`)
      break
    case 'join':
      if (known !== undefined) return refuse('a member already')
      members.set(change.peerId, { peerId: change.peerId, capacity: change.capacity })
      break
    case 'capacity':
      if (known === undefined || known.capacity === change.capacity) return refuse(known === undefined ? 'not a member' : 'the same capacity')
      members.set(change.peerId, { ...known, capacity: change.capacity })
      break
    case 'leave':
    case 'replace': {
      const state = change.kind === 'leave' ? 'leaving' : 'replaced'
      if (known === undefined || known.state === state) return refuse(known === undefined ? 'not a member' : `${state} already`)
      members.set(change.peerId, { peerId: known.peerId, capacity: known.capacity, state })
      break
    }
    case 'back':
      if (known?.state === undefined) return refuse(known === undefined ? 'not a member' : 'neither leaving nor replaced')
      members.set(change.peerId, { peerId: known.peerId, capacity: known.capacity })
      break
    case 'forget':
      if (known === undefined) return refuse('not a member')
      members.delete(change.peerId)
      break
  }
  const next: RosterVersion = { version: v.version + 1, members: sorted([...members.values()]), change }
  if (journalSet(next).length === 0) return refuse('no storage node would be left to keep the roster')
  return next
}

/** Version 1: the roster a cluster forms with. */
export function firstVersion (members: readonly VersionMember[]): RosterVersion {
  const first: RosterVersion = { version: 1, members: sorted(members), change: { kind: 'form', members: sorted(members) } }
  if (journalSet(first).length === 0) throw new RangeError('a roster forms with at least one storage node that is not replaced')
  return first
}

function sorted (members: readonly VersionMember[]): VersionMember[] {
  return members.map((m) => ({ peerId: m.peerId, capacity: m.capacity, ...(m.state !== undefined && { state: m.state }) }))
    .sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
}

/** Whether two versions are the same: number, members and change. */
export function sameVersion (a: RosterVersion, b: RosterVersion): boolean {
  const change = (c: RosterChange): unknown => c.kind === 'form' ? sorted(c.members) : c.kind === 'settle' ? c.settled : [c.peerId, 'capacity' in c ? c.capacity : 0]
  const key = (v: RosterVersion): string => JSON.stringify([v.version, sorted(v.members), v.change.kind, change(v.change)])
  return key(a) === key(b)
}

/**
 * Checks a roster version read from another node's replica (or sent by one): anything malformed is
 * refused with RangeError naming what, never applied. `after` (the version before it, when known):
 * it must be exactly what its change makes of that one.
 */
export function checkRosterVersion (value: unknown, after?: RosterVersion): RosterVersion {
  const fail = (why: string): never => { throw new RangeError(`roster version: ${why}`) }
  const v = value as Record<string, unknown> | null
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('not an object')
  if (!Number.isSafeInteger(v.version) || (v.version as number) < 1) fail('version must be a positive safe integer')
  const members = checkMembers(v.members, fail)
  const change = checkChange(v.change, fail)
  const version = { version: v.version as number, members, change }
  if (after === undefined) {
    if (version.version === 1 && change.kind !== 'form') fail('version 1 must form the roster')
    return version
  }
  if (version.version !== after.version + 1) fail(`expected version ${after.version + 1}, got ${version.version}`)
  const made = applyChange(after, change)
  if ('refused' in made) return fail(`its change does not apply: ${made.refused}`)
  if (!sameVersion(made, version)) fail(`its members are not what its change makes of version ${after.version}`)
  return made
}

function checkMembers (value: unknown, fail: (why: string) => never): VersionMember[] {
  if (!Array.isArray(value) || value.length > MAX_VERSION_MEMBERS) fail(`members must be an array of at most ${MAX_VERSION_MEMBERS}`)
  const out = (value as unknown[]).map((m, i) => {
    const x = m as Record<string, unknown> | null
    if (x === null || typeof x !== 'object' || !isPeerId(x.peerId) || !isCapacity(x.capacity) || (x.state !== undefined && x.state !== 'leaving' && x.state !== 'replaced')) {
      fail(`member ${i}: expected { peerId, capacity 1-${MAX_CAPACITY}, state?: leaving | replaced }`)
    }
    return { peerId: x?.peerId as string, capacity: x?.capacity as number, ...(x?.state !== undefined && { state: x.state as 'leaving' | 'replaced' }) }
  })
  for (let i = 1; i < out.length; i++) if ((out[i - 1] as VersionMember).peerId >= (out[i] as VersionMember).peerId) fail('members must be sorted by peer id, each once')
  return out
}

/** Checks a change another node proposes (RangeError naming what is wrong); a `form` is never proposed. */
export function checkRosterChange (value: unknown): RosterChange {
  const change = checkChange(value, (why) => { throw new RangeError(`roster change: ${why}`) })
  if (change.kind === 'form') throw new RangeError('roster change: a roster is formed, not proposed')
  return change
}

function checkChange (value: unknown, fail: (why: string) => never): RosterChange {
  const c = value as Record<string, unknown> | null
  if (c === null || typeof c !== 'object' || typeof c.kind !== 'string' || !KINDS.has(c.kind)) return fail(`change: kind must be one of ${[...KINDS].join(', ')}`)
  if (c.kind === 'form') return { kind: 'form', members: checkMembers(c.members, fail) }
  if (c.kind === 'settle') return { kind: 'settle', settled: checkSettled(c.settled, fail) }
  if (!isPeerId(c.peerId)) fail('change: peerId must be a short string')
  if (c.kind === 'join' || c.kind === 'capacity') {
    if (!isCapacity(c.capacity)) fail(`change: capacity must be an integer 1-${MAX_CAPACITY}`)
    return { kind: c.kind, peerId: c.peerId as string, capacity: c.capacity as number }
  }
  return { kind: c.kind as 'leave' | 'replace' | 'back' | 'forget', peerId: c.peerId as string }
}

/** A settle's list: 1 to MAX_SETTLED [partition, version] pairs, by partition, each once. */
function checkSettled (value: unknown, fail: (why: string) => never): Array<[number, number]> {
  const int = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SETTLED) fail(`change: settled must list 1-${MAX_SETTLED} [partition, version] pairs`)
  let last = -1
  return (value as unknown[]).map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !int(pair[0], last + 1, MAX_PARTITION) || !int(pair[1], 1, Number.MAX_SAFE_INTEGER)) {
      fail(`change: settled: each [partition 0-${MAX_PARTITION}, version from 1], by partition, each once`)
    }
    last = (pair as number[])[0] as number
    return [last, (pair as number[])[1] as number]
  })
}

function isPeerId (v: unknown): v is string { return typeof v === 'string' && v.length > 0 && v.length <= MAX_PEER_ID }
function isCapacity (v: unknown): v is number { return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_CAPACITY }
