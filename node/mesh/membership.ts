import { Packr } from 'msgpackr'
import { InvalidMemberRecordError } from './errors.ts'
import { shown } from '../../protocols/index.ts'
import { FailureDetector } from './failure-detector.ts'

/** A member as every node sees it (the admin API's member shape, plus what failure detection needs). */
export interface MemberRecord {
  readonly peerId: string
  readonly roles: readonly string[]
  /** web: the origin of its user listener (chat page, gRPC-Web) as browsers reach it; absent: none
   * (web-listen off or a wildcard without web-advertise, or a version before it). */
  readonly addresses: { readonly grpc: string, readonly admin: string, readonly p2p: readonly string[], readonly web?: string }
  readonly load: { readonly actors: number, readonly entities: number, readonly mailbox: number, readonly rssBytes: number }
  /** Placement weight (config `capacity`): twice the capacity, about twice the entities. */
  readonly capacity: number
  /** 'up' or 'draining' as the member says of itself; 'suspect' and 'down' are decided by others. */
  readonly status: 'joining' | 'up' | 'draining'
  /** ms since the epoch of the member's start: a restarted member has a higher one. */
  readonly incarnation: number
  /** The record's number in its incarnation: each record a member sends has a higher one than the
   * one before, so a record that arrives after a newer one (gossip relays it by another path, or
   * late) is known as older and ignored. Absent: a version that does not number its records. */
  readonly seq?: number
  readonly version: string
  /** The cluster's partition count as this member's data dir recorded it (absent: not told). */
  readonly partitions?: number
  /** Entities pinned to this member (an admin moved them here): [pin id (placement's pinIdOf),
   * number], at most MAX_PINS. Absent: none (or a member of a version before pins). */
  readonly pins?: ReadonlyArray<readonly [string, number]>
  /** The member was decommissioned: it left the cluster for good (once it is down, it is no
   * longer listed, and storage rosters forget it). */
  readonly left?: boolean
  /** The member has served the settle time (a member that joins or comes back takes entities of a
   * role others serve once it has, see node/mesh/settling.ts). Absent: a version that does not
   * say (counted as settled). */
  readonly settled?: boolean
  /** ai members: the models loaded there now (at most MAX_RECORD_MODELS names). Absent: none, or
   * a version that does not say. */
  readonly models?: readonly string[]
  /** plugins members: the plugin versions up there now (at most MAX_RECORD_PLUGINS). Absent:
   * none, or a version that does not say. */
  readonly plugins?: ReadonlyArray<{ readonly name: string, readonly version: string }>
  /** plugins members: the registered MCP servers connected there now (at most MAX_RECORD_PLUGINS). */
  readonly servers?: readonly string[]
  /** The latest roster version the member applied (absent: none, or a version that does not say). */
  readonly rosterVersion?: number
}

export type MemberStatus = 'joining' | 'up' | 'suspect' | 'draining' | 'down'

export interface MemberView extends Omit<MemberRecord, 'status'> {
  readonly status: MemberStatus
  /** ms since the epoch when it was last heard from: its last record or its last answer to a probe. */
  readonly lastSeen: number
  /** Its process is gone (its address refused a connection while none was open): it is down, and
   * not a member this node should be hearing (a view without it is still whole). */
  readonly gone?: true
  /** It answered only through another member: this node's own path to it is broken (messages
   * sent to it fail until the path heals), but it is alive. */
  readonly indirect?: true
  /** It told this node, in its probes, that this node's answers do not reach it. */
  readonly unhearing?: true
}

/** The gossipsub topic of member records. */
export const MEMBERS_TOPIC = '/plexi/members/1.0.0'
/** Entities one member may hold pinned at once (an admin's migrations to it). */
export const MAX_PINS = 512
/** A member record is a few hundred bytes, plus about 20 a pin; anything far larger is not one. */
export const MAX_RECORD_BYTES = 32_768
/** Loaded models a record names, at most (a node holds a few at once within its memory budget). */
export const MAX_RECORD_MODELS = 16
/** Plugin versions, and registered servers, a record names at most: each is a process of its own,
 * and a node runs a few dozen at most (two versions of one during a hot swap). */
export const MAX_RECORD_PLUGINS = 128
/** A plugin's or a server's name in a record (SOURCE_NAME_PATTERN), and its version (semver). */
const RECORD_SOURCE_NAME = /^[a-z][a-z0-9-]{0,23}$/
const RECORD_VERSION = /^\d{1,16}\.\d{1,16}\.\d{1,16}(?:-[0-9A-Za-z.-]{1,40})?(?:\+[0-9A-Za-z.-]{1,40})?$/

const packr = new Packr({ useRecords: false })

/** Characters of a member's web origin, at most (a host name is at most 253). */
export const MAX_WEB_ORIGIN = 300

/** `https://host[:port]` or `http://...`, nothing after: what a member may say browsers reach it at. */
export function isWebOrigin (value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_WEB_ORIGIN) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value
  } catch {
    return false
  }
}

export function encodeMemberRecord (record: MemberRecord): Uint8Array {
  return packr.pack(record)
}

/** Decodes and checks a record from the wire: anything malformed is refused, never half-used. */
export function decodeMemberRecord (bytes: Uint8Array, from: string): MemberRecord {
  const fail = (why: string): never => { throw new InvalidMemberRecordError(`member record from ${from}: ${why}`) }
  if (bytes.byteLength > MAX_RECORD_BYTES) fail(`${bytes.byteLength} bytes is over ${MAX_RECORD_BYTES}`)
  let value: unknown
  try {
    value = packr.unpack(bytes)
  } catch (err) {
    return fail(`not msgpack (${(err as Error).message})`)
  }
  const r = value as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return fail('not an object')
  const str = (v: unknown, max = 512): v is string => typeof v === 'string' && v.length <= max
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
  if (!str(r.peerId, 128) || r.peerId !== from) fail(`peerId ${JSON.stringify(r.peerId)} is not the sender ${from}`)
  if (!Array.isArray(r.roles) || r.roles.length > 8 || !r.roles.every((x) => str(x, 16))) fail('roles: expected up to 8 role names')
  const a = r.addresses as Record<string, unknown> | null
  if (a === null || typeof a !== 'object' || !str(a.grpc) || !str(a.admin) || !Array.isArray(a.p2p) || a.p2p.length > 16 || !a.p2p.every((x) => str(x))) fail('addresses: expected { grpc, admin, p2p[] }')
  // browsers are sent there, and their calls from there are let in (CORS): only a plain origin
  const web = a?.web
  if (web !== undefined && !isWebOrigin(web)) fail(`addresses.web: expected an http or https origin of at most ${MAX_WEB_ORIGIN} characters, not ${shown(web, 80)}`)
  const l = r.load as Record<string, unknown> | null
  if (l === null || typeof l !== 'object' || !num(l.actors) || !num(l.entities) || !num(l.mailbox) || !num(l.rssBytes)) fail('load: expected { actors, entities, mailbox, rssBytes }')
  if (typeof r.capacity !== 'number' || !(r.capacity > 0) || r.capacity > 1_000_000) fail('capacity: expected a number in (0, 1000000]')
  if (r.status !== 'joining' && r.status !== 'up' && r.status !== 'draining') fail(`status: ${shown(r.status, 40)}`)
  if (!num(r.incarnation)) fail('incarnation: expected a number')
  if (r.seq !== undefined && (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1)) fail(`seq: expected a positive integer, not ${shown(r.seq, 40)}`)
  if (!str(r.version, 64)) fail('version: expected a string')
  if (r.partitions !== undefined && (!Number.isSafeInteger(r.partitions) || (r.partitions as number) < 1 || (r.partitions as number) > 65_536)) fail('partitions: expected an integer 1-65536')
  if (r.left !== undefined && typeof r.left !== 'boolean') fail('left: expected a boolean')
  if (r.settled !== undefined && typeof r.settled !== 'boolean') fail('settled: expected a boolean')
  if (r.models !== undefined && (!Array.isArray(r.models) || r.models.length > MAX_RECORD_MODELS || !r.models.every((m) => str(m, 256) && m.length > 0))) {
    fail(`models: expected up to ${MAX_RECORD_MODELS} model names`)
  }
  if (r.plugins !== undefined && (!Array.isArray(r.plugins) || r.plugins.length > MAX_RECORD_PLUGINS || !r.plugins.every((p) => {
    const e = p as Record<string, unknown> | null
    return e !== null && typeof e === 'object' && typeof e.name === 'string' && RECORD_SOURCE_NAME.test(e.name) && typeof e.version === 'string' && e.version.length <= 64 && RECORD_VERSION.test(e.version)
  }))) {
    fail(`plugins: expected up to ${MAX_RECORD_PLUGINS} { name, version } of plugins`)
  }
  if (r.servers !== undefined && (!Array.isArray(r.servers) || r.servers.length > MAX_RECORD_PLUGINS || !r.servers.every((n) => typeof n === 'string' && RECORD_SOURCE_NAME.test(n)))) {
    fail(`servers: expected up to ${MAX_RECORD_PLUGINS} server names`)
  }
  if (r.rosterVersion !== undefined && (!Number.isSafeInteger(r.rosterVersion) || (r.rosterVersion as number) < 1)) fail(`rosterVersion: expected a positive integer, not ${shown(r.rosterVersion, 40)}`)
  if (r.pins !== undefined && (!Array.isArray(r.pins) || r.pins.length > MAX_PINS ||
    !r.pins.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && /^[A-Za-z0-9_-]{16}$/.test(p[0]) && Number.isSafeInteger(p[1]) && p[1] >= 1))) {
    fail(`pins: expected up to ${MAX_PINS} [pin id, number >= 1] pairs`)
  }
  return r as unknown as MemberRecord
}

/** Whether `record` is older than `known`, a record of the same member: an older incarnation, or
 * the same one and a seq not above the known one's (records without seq: incarnation only). */
export function isStale (record: MemberRecord, known: MemberRecord): boolean {
  if (record.incarnation !== known.incarnation) return record.incarnation < known.incarnation
  return record.seq !== undefined && known.seq !== undefined && record.seq <= known.seq
}

export interface MembershipOptions {
  /** ms without an answer to a probe (directly or through others) before a member is down. */
  readonly failureTimeout: number
  /** A clock for tests: both the wall clock (when a member was last seen) and failure detection's.
   * @default Date.now, and performance.now for failure detection */
  readonly now?: () => number
}

/**
 * This node's view of the cluster: the latest record of every member heard from (what it says of
 * itself: roles, addresses, load, joining/up/draining), and its liveness as failure detection
 * finds it (node/mesh/failure-detector.ts: probes over the connections that carry actor traffic,
 * not heartbeats). A member is listed once it has answered a probe (or was found gone). One that
 * said it is up and whose direct probe went unanswered is suspect (it still owns its entities: a
 * slow member is not moved at once); one that answered nothing, directly or through others, for
 * the failure timeout is down, as is one whose process is gone (its address refuses connections).
 * A member that said it is draining or joining stays so until it is down: never suspect, so never
 * a placement candidate again (a drained node that exited does not get entities back). A member
 * is up again as soon as it answers a probe; records never bring one back by themselves (a record
 * another member relays was maybe sent before it died). A newer incarnation's record replaces an
 * older one; an older one is ignored.
 */
export class MemberTable {
  readonly detector: FailureDetector
  readonly #members = new Map<string, { record: MemberRecord, heardAt: number }>()
  readonly #now: () => number

  /** The detector's clock: monotonic (a wall clock stepped back would keep a dead member up). */
  readonly #monotonic: () => number

  constructor (opts: MembershipOptions) {
    if (!(opts.failureTimeout > 0)) throw new RangeError(`failureTimeout must be > 0, got ${opts.failureTimeout}`)
    this.#now = opts.now ?? Date.now
    this.#monotonic = opts.now ?? (() => performance.now())
    this.detector = new FailureDetector({ failureTimeout: opts.failureTimeout, now: this.#monotonic })
  }

  /** Takes a record; false when it was stale (an older incarnation, or an earlier record of the
   * same one: its seq is not above the one known) and changed nothing. */
  heard (record: MemberRecord): boolean {
    const known = this.#members.get(record.peerId)?.record
    if (known !== undefined && isStale(record, known)) return false
    this.#members.set(record.peerId, { record, heardAt: this.#now() })
    return true
  }

  /** Whether a record of `peerId` was heard. */
  has (peerId: string): boolean {
    return this.#members.has(peerId)
  }

  /** The member's connection closed and its address refuses connections: it is down now, not
   * after the failure timeout. False for a member not heard of, or one already found gone. */
  unreachable (peerId: string): boolean {
    if (!this.#members.has(peerId) || this.detector.isGone(peerId)) return false
    this.detector.gone(peerId)
    return true
  }

  /** Whether the member's last record said it was draining (it left on purpose: an operator's
   * drain or a rolling restart), whatever failure detection says of it now. */
  drained (peerId: string): boolean {
    return this.#members.get(peerId)?.record.status === 'draining'
  }

  /** The members to probe and to stay connected to: every one heard of, but those that left the
   * cluster and are down. */
  probed (): string[] {
    return this.records().map((r) => r.peerId)
  }

  /** The latest records of the members probed (probed()), whether or not they answered yet. */
  records (): MemberRecord[] {
    const out: MemberRecord[] = []
    for (const [peerId, { record }] of this.#members) {
      if (record.left === true && this.detector.liveness(peerId) === 'dead') continue
      out.push(record)
    }
    return out
  }

  /** Every member heard from that has answered a probe (or was found gone), sorted by peer id; a
   * decommissioned member (its record says it left) is no longer listed once it is down. */
  view (): MemberView[] {
    const d = this.detector
    const wall = this.#now()
    const monotonic = this.#monotonic()
    const out: MemberView[] = []
    for (const { record, heardAt } of [...this.#members.values()].sort((a, b) => a.record.peerId.localeCompare(b.record.peerId))) {
      const peer = record.peerId
      const liveness = d.liveness(peer)
      if (liveness === undefined) continue
      const status: MemberStatus = liveness === 'dead' ? 'down' : liveness === 'suspect' && record.status === 'up' ? 'suspect' : record.status
      if (record.left === true && status === 'down') continue
      out.push({
        ...record,
        status,
        lastSeen: Math.max(heardAt, wall - (monotonic - (d.lastAck(peer) ?? -Infinity))),
        ...(d.isGone(peer) && { gone: true as const }),
        ...(status !== 'down' && d.isIndirect(peer) && { indirect: true as const }),
        ...(d.unhearing(peer) && { unhearing: true as const })
      })
    }
    return out
  }
}
