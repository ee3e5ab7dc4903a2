import { SUMMARY_SEGMENTS } from '../constants.ts'

/** Where an epoch's records start in a log: `[epoch, firstSeq]`. A log's segments go up in both. */
export type Segment = readonly [epoch: number, firstSeq: number]

/**
 * What a replica tells an owner of its copy of one entity's log: enough to find where it parts
 * from the owner's log without reading records (log matching: two logs with a record of the same
 * seq and epoch hold the same records up to it).
 */
export interface LogSummary {
  /** The highest epoch promised for the entity (0: none). */
  readonly promised: number
  /** The last seq held (0: none). */
  readonly head: number
  /** The epoch of the record at `head` (0 when head is 0). */
  readonly headEpoch: number
  /** The newest segments, oldest first, at most SUMMARY_SEGMENTS: the first may start after seq 1
   * when older ones were left out. Empty when head is 0. */
  readonly segments: readonly Segment[]
  /** The seq of the snapshot held (0: none). */
  readonly snapshotSeq: number
  /** The first seq the log still holds (absent: 1): every record below it was trimmed
   * (docs/replication.md, "Rewrites and trims"). Never above head + 1; never lowered. */
  readonly floor?: number
  /** Owners number their rewrites of an entity 1, 2, 3, … (generations): this replica holds every
   * one up to this whole (absent: 0), and owners read from it alone only when that reaches the
   * latest they know (docs/replication.md, "Rewrites and trims"). */
  readonly revised?: number
  /** The epoch of the owner that made generation `revised` (absent: 0, an older version's): see Generation. */
  readonly revisedEpoch?: number
  /** The latest generation this replica was sent, whole or not (absent: `revised`): what a new
   * owner learns the latest rewrite from (one acknowledged reached W replicas). Never lowered. */
  readonly rewrites?: number
  /** The epoch of the owner that made generation `rewrites` (absent: `revisedEpoch`, or 0). */
  readonly rewritesEpoch?: number
}

/**
 * A rewrite generation and the epoch of the owner that made it (docs/replication.md, "Rewrites and
 * trims"). Ordered by the epoch first: a rewrite an older owner left on one replica, never
 * acknowledged, may carry the number a newer owner, which never read that replica, gives its own
 * (seed 701095: a redacted post read back whole from such a replica); by its epoch it is older.
 */
export interface Generation { readonly epoch: number, readonly gen: number }

export const NO_GENERATION: Generation = { epoch: 0, gen: 0 }

/** Whether generation a comes after b (or is b, with `orSame`). */
export function genAfter (a: Generation, b: Generation, orSame = false): boolean {
  return a.epoch !== b.epoch ? a.epoch > b.epoch : a.gen > b.gen || (orSame && a.gen === b.gen)
}

/** The latest generation a replica holds whole (LogSummary.revised). */
export function revisedOf (s: LogSummary): Generation {
  return { epoch: s.revisedEpoch ?? 0, gen: s.revised ?? 0 }
}

/** The latest generation a replica was sent, whole or not (LogSummary.rewrites), or the one it holds. */
export function sentOf (s: LogSummary): Generation {
  const sent = s.rewrites === undefined ? revisedOf(s) : { epoch: s.rewritesEpoch ?? s.revisedEpoch ?? 0, gen: s.rewrites }
  const held = revisedOf(s)
  return genAfter(held, sent) ? held : sent
}

/** The latest of these generations (NO_GENERATION for none). */
export function latestGen (gens: readonly Generation[]): Generation {
  return gens.reduce((a, b) => genAfter(b, a) ? b : a, NO_GENERATION)
}

/** The log's floor (1 when it was never trimmed). */
export function floorOf (s: { readonly floor?: number }): number {
  return s.floor ?? 1
}

export const EMPTY_SUMMARY: LogSummary = { promised: 0, head: 0, headEpoch: 0, segments: [], snapshotSeq: 0 }

/** The epoch of the record at `seq` in a log of these segments and head, or undefined when it is
 * not known (before the oldest segment listed, or past the head). */
export function epochAt (segments: readonly Segment[], head: number, seq: number): number | undefined {
  if (seq < 1 || seq > head) return undefined
  for (let i = segments.length - 1; i >= 0; i--) {
    const [epoch, first] = segments[i] as Segment
    if (first <= seq) return epoch
  }
  return undefined
}

/** The first seq whose epoch the segments tell (1 when every segment is listed). */
function knownFrom (segments: readonly Segment[]): number {
  return segments.length === 0 ? Infinity : (segments[0] as Segment)[1]
}

/**
 * The highest seq at which two logs hold a record of the same epoch (so, by log matching, the same
 * records up to it): where an owner resumes writing to a replica. 0 when they share nothing that
 * the summaries show (the owner then rewrites from seq 1).
 */
export function matchPoint (a: { segments: readonly Segment[], head: number, floor?: number }, b: { segments: readonly Segment[], head: number, floor?: number }): number {
  const top = Math.min(a.head, b.head)
  const floor = Math.max(knownFrom(a.segments), knownFrom(b.segments))
  if (top < 1) return 0
  // walk down the boundaries of both logs' segments: within a stretch where neither changes epoch,
  // equal epochs at its top mean equal at every seq of it
  const bounds = new Set<number>([top])
  for (const [, first] of [...a.segments, ...b.segments]) {
    if (first - 1 >= 1 && first - 1 <= top) bounds.add(first - 1)
  }
  // below the floors of both, the logs agree whatever their segments say: a floor is set only
  // by a current owner, below what it acknowledged (docs/replication.md, "Rewrites and trims")
  const trimmed = Math.min(top, Math.min(floorOf(a), floorOf(b)) - 1)
  for (const seq of [...bounds].sort((x, y) => y - x)) {
    if (seq < floor || seq <= trimmed) break
    const ea = epochAt(a.segments, a.head, seq)
    const eb = epochAt(b.segments, b.head, seq)
    if (ea !== undefined && ea === eb) return seq
  }
  return Math.max(0, trimmed)
}

/** The segments after records of these epochs were added at `fromSeq` on (everything from
 * `fromSeq` on replaced), keeping the newest SUMMARY_SEGMENTS. */
export function withRecords (segments: readonly Segment[], fromSeq: number, epochs: readonly number[]): Segment[] {
  const out: Segment[] = segments.filter(([, first]) => first < fromSeq)
  let seq = fromSeq
  for (const epoch of epochs) {
    const last = out[out.length - 1]
    if (last === undefined || last[0] !== epoch) out.push([epoch, seq])
    seq++
  }
  return out.length > SUMMARY_SEGMENTS ? out.slice(out.length - SUMMARY_SEGMENTS) : out
}

/** Orders summaries by how far their logs got: the highest last epoch first, then the longest. */
export function compareLogs (a: LogSummary, b: LogSummary): number {
  return a.headEpoch !== b.headEpoch ? b.headEpoch - a.headEpoch : b.head - a.head
}
