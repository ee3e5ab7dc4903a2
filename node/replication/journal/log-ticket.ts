import { HANDOVER_RECORDS, MAX_ACTIVATION_LENGTH, MAX_NODE_LENGTH, MAX_TICKET_ID_LENGTH, MAX_TICKET_REPLICAS, MAX_TICKET_SOURCES, SUMMARY_SEGMENTS } from '../constants.ts'
import { InvalidLogTicketError } from '../errors.ts'
import { isEntityId } from '../replica/replica-protocol.ts'
import type { Segment } from './log-summary.ts'
import type { StoredRecord } from '../replica/replica-protocol.ts'

/**
 * What an activation hands the entity's next owner in a live move (EntityLog.handOver;
 * docs/replication.md, "Hand-over"): its hold on the log, whole. Plain data: it crosses the mesh
 * inside a migration's hand-off, and checkLogTicket checks one that arrived.
 */
export interface LogTicket {
  /** Names this hand-over: a ticket is used once (the node that takes it remembers its id). */
  readonly id: string
  readonly entity: string
  readonly epoch: number
  readonly activation: string
  /** The log's last seq. */
  readonly head: number
  /** The last seq acknowledged (on W replicas); those after it are in flight, in `tail`. */
  readonly committed: number
  /** The seq the first owner of this epoch sealed in recovery: commitment counts from it on. */
  readonly sealed: number
  readonly segments: readonly Segment[]
  readonly writeQuorum: number
  /** The replicas written to, each with the seq up to which its log is known to equal the owner's
   * (-1: not known yet). */
  readonly replicas: ReadonlyArray<{ readonly node: string, readonly match: number }>
  /** Read-only sources of records (former holders, replicas a roster change dropped). */
  readonly sources: ReadonlyArray<{ readonly node: string, readonly match: number }>
  /** The records in flight, committed + 1 to head (at most HANDOVER_RECORDS), of this epoch. */
  readonly tail: readonly StoredRecord[]
  /** The log's floor (absent: 1) and the epoch of the record before it (docs/replication.md,
   * "Rewrites and trims"). */
  readonly floor?: number
  readonly floorEpoch?: number
  /** The latest rewrite generation the log knows (absent: 0), and its owner's epoch (absent: 0). */
  readonly revised?: number
  readonly revisedEpoch?: number
  /** The configuration version of the entity's partition the log was carrying (absent: none;
   * docs/replication.md, "Roster versions"): the next owner goes on from it only under the same. */
  readonly version?: number
  /** The log was moving to that version (journal/log-move.ts): the next owner acknowledges nothing
   * until it fenced for the move itself. */
  readonly moving?: true
}

/**
 * Checks a ticket that came off the wire before an owner goes on from it: anything that is not a
 * ticket a correct owner could have handed over is refused (InvalidLogTicketError, kind invalid),
 * and nothing is used of it.
 */
export function checkLogTicket (value: unknown): LogTicket {
  const fail = (why: string): never => { throw new InvalidLogTicketError(why) }
  const t = value as Record<string, unknown> | null
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return fail('not an object')
  if (typeof t.id !== 'string' || t.id.length === 0 || t.id.length > MAX_TICKET_ID_LENGTH) fail(`id: 1-${MAX_TICKET_ID_LENGTH} characters`)
  if (!isEntityId(t.entity)) fail('entity: "type/key"')
  if (!isCount(t.epoch) || t.epoch < 1) fail('epoch: a positive integer')
  if (typeof t.activation !== 'string' || t.activation.length === 0 || t.activation.length > MAX_ACTIVATION_LENGTH) fail(`activation: 1-${MAX_ACTIVATION_LENGTH} characters`)
  if (!isCount(t.head)) fail('head: an integer >= 0')
  const head = t.head as number
  if (!isCount(t.committed) || t.committed > head) fail('committed: an integer from 0 to head')
  const committed = t.committed as number
  if (!isCount(t.sealed) || t.sealed > committed) fail('sealed: an integer from 0 to committed')
  const segments = t.segments
  if (!Array.isArray(segments) || segments.length > SUMMARY_SEGMENTS || (segments.length === 0) !== (head === 0)) {
    fail(`segments: 1-${SUMMARY_SEGMENTS} [epoch, firstSeq] pairs (none for an empty log)`)
  }
  let lastEpoch = 0
  let lastFirst = 0
  for (const g of segments as unknown[]) {
    if (!Array.isArray(g) || g.length !== 2 || !isCount(g[0]) || !isCount(g[1])) fail('segments: [epoch, firstSeq] pairs of integers')
    const [epoch, first] = g as [number, number]
    if (epoch <= lastEpoch || first <= lastFirst || first > head || epoch > (t.epoch as number)) {
      fail('segments: epochs and first seqs going up, within the head and the epoch')
    }
    lastEpoch = epoch
    lastFirst = first
  }
  const standings = (v: unknown, what: string, max: number, min: number): void => {
    if (!Array.isArray(v) || v.length < min || v.length > max) fail(`${what}: ${min}-${max} { node, match }`)
    const seen = new Set<string>()
    for (const r of v as unknown[]) {
      const x = r as Record<string, unknown> | null
      if (x === null || typeof x !== 'object' || typeof x.node !== 'string' || x.node.length === 0 || x.node.length > MAX_NODE_LENGTH ||
        !Number.isSafeInteger(x.match) || (x.match as number) < -1 || (x.match as number) > head) {
        fail(`${what}: each { node, match from -1 to head }`)
      }
      if (seen.has(x?.node as string)) fail(`${what}: a node named twice`)
      seen.add(x?.node as string)
    }
  }
  standings(t.replicas, 'replicas', MAX_TICKET_REPLICAS, 1)
  standings(t.sources, 'sources', MAX_TICKET_SOURCES, 0)
  if (!isCount(t.writeQuorum) || t.writeQuorum < 1 || t.writeQuorum > (t.replicas as unknown[]).length) fail('writeQuorum: 1 to the replicas named')
  const tail = t.tail
  if (!Array.isArray(tail) || tail.length !== head - committed || tail.length > HANDOVER_RECORDS) fail(`tail: the records from committed + 1 to head, at most ${HANDOVER_RECORDS}`)
  ;(tail as unknown[]).forEach((r, i) => {
    const x = r as Record<string, unknown> | null
    if (x === null || typeof x !== 'object' || x.seq !== committed + 1 + i || x.epoch !== t.epoch || !('event' in x)) fail(`tail: record ${i} must be { seq: ${committed + 1 + i}, epoch: the ticket's, event }`)
  })
  if (t.floor !== undefined && (!isCount(t.floor) || t.floor < 1 || t.floor > committed + 1)) fail('floor: an integer from 1 to committed + 1 when present')
  if (t.floorEpoch !== undefined && (!isCount(t.floorEpoch) || t.floorEpoch < 1 || t.floorEpoch > (t.epoch as number) || t.floor === undefined)) fail('floorEpoch: 1 to the epoch, with a floor')
  if (t.revised !== undefined && !isCount(t.revised)) fail('revised: an integer >= 0 when present')
  if (t.revisedEpoch !== undefined && (!isCount(t.revisedEpoch) || (t.revisedEpoch as number) > (t.epoch as number))) fail('revisedEpoch: an integer from 0 to the epoch when present')
  if (t.version !== undefined && (!isCount(t.version) || t.version < 1)) fail('version: a positive integer when present')
  if (t.moving !== undefined && (t.moving !== true || t.version === undefined)) fail('moving: true when present, with a version')
  return {
    ...(t.version !== undefined && { version: t.version as number }),
    ...(t.moving === true && { moving: true as const }),
    ...(t.revised !== undefined && (t.revised as number) > 0 && { revised: t.revised as number }),
    ...(t.revisedEpoch !== undefined && (t.revisedEpoch as number) > 0 && { revisedEpoch: t.revisedEpoch as number }),
    ...(t.floor !== undefined && (t.floor as number) > 1 && { floor: t.floor as number }),
    ...(t.floorEpoch !== undefined && (t.floor as number) > 1 && { floorEpoch: t.floorEpoch as number }),
    id: t.id as string,
    entity: t.entity as string,
    epoch: t.epoch as number,
    activation: t.activation as string,
    head,
    committed,
    sealed: t.sealed as number,
    segments: (segments as Array<[number, number]>).map(([epoch, first]) => [epoch, first] as const),
    writeQuorum: t.writeQuorum as number,
    replicas: (t.replicas as Array<{ node: string, match: number }>).map(({ node, match }) => ({ node, match })),
    sources: (t.sources as Array<{ node: string, match: number }>).map(({ node, match }) => ({ node, match })),
    tail: (tail as StoredRecord[]).map(({ seq, epoch, event }) => ({ seq, epoch, event }))
  }
}

function isCount (v: unknown): v is number { return Number.isSafeInteger(v) && (v as number) >= 0 }
