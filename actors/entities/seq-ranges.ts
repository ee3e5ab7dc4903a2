/**
 * A set of seqs kept as sorted, disjoint, non-adjacent inclusive ranges `[from, to]`: what a room
 * keeps of its redacted posts. Plain data (it lives in entity state and snapshots), never changed
 * in place: every change returns a new array. A user's posts erased in a busy room are many runs
 * of a few seqs; a range per run keeps the state as small as the runs are few.
 */
export type SeqRanges = ReadonlyArray<readonly [number, number]>

/** The index of the first range whose end is at or after `seq` (ranges.length when none is). */
function firstEndingAtOrAfter (ranges: SeqRanges, seq: number): number {
  let lo = 0
  let hi = ranges.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((ranges[mid] as readonly [number, number])[1] < seq) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Whether `seq` is in the set. */
export function hasSeq (ranges: SeqRanges | undefined, seq: number): boolean {
  if (ranges === undefined || ranges.length === 0) return false
  const range = ranges[firstEndingAtOrAfter(ranges, seq)]
  return range !== undefined && range[0] <= seq
}

/** The set with `seq` added (the same array when it holds it already). */
export function addSeq (ranges: SeqRanges | undefined, seq: number): SeqRanges {
  const rs = ranges ?? []
  const i = firstEndingAtOrAfter(rs, seq - 1)
  const at = rs[i]
  if (at !== undefined && at[0] <= seq && seq <= at[1]) return rs
  const joinsLeft = at !== undefined && at[1] === seq - 1
  const right = joinsLeft ? rs[i + 1] : at
  const joinsRight = right !== undefined && right[0] === seq + 1
  const out = rs.slice()
  if (joinsLeft && joinsRight) out.splice(i, 2, [(at as readonly [number, number])[0], (right as readonly [number, number])[1]])
  else if (joinsLeft) out.splice(i, 1, [(at as readonly [number, number])[0], seq])
  else if (joinsRight) out.splice(i, 1, [seq, (right as readonly [number, number])[1]])
  else out.splice(i, 0, [seq, seq])
  return out
}

/** How many seqs the set holds. */
export function countSeqs (ranges: SeqRanges | undefined): number {
  let n = 0
  for (const [from, to] of ranges ?? []) n += to - from + 1
  return n
}

/** Whether `value` is a well-formed set (a snapshot's state as it came off the disk). */
export function isSeqRanges (value: unknown): value is SeqRanges {
  if (!Array.isArray(value)) return false
  let last = -1
  for (const r of value as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2 || !Number.isSafeInteger(r[0]) || !Number.isSafeInteger(r[1])) return false
    const [from, to] = r as [number, number]
    if (from < 1 || to < from || from <= last + 1) return false
    last = to
  }
  return true
}
