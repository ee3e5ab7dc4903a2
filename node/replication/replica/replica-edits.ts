import { epochAt, floorOf } from '../journal/log-summary.ts'
import type { LogSummary } from '../journal/log-summary.ts'
import { laterRevision } from './replica-protocol.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'
import type { ReplicaChange, ReplicaState } from './replica-storage.ts'

/** Reads what a replica holds of an entity at some seqs (its records, each seal verified). */
export type HeldRecords = (seqs: readonly number[]) => Promise<Array<StoredRecord | undefined>>

/**
 * What a replica changes for a rewrite (docs/replication.md, "Rewrites and trims"): each record
 * takes the place of the one held at its seq when that one has the same epoch and an earlier revision
 * (replica-protocol.ts, laterRevision);
 * any other is ignored (a record below the floor, past the head, of another epoch, or rewritten as
 * high already: a retry, or an older rewrite arriving late), so a rewrite is idempotent. `change`
 * undefined when nothing changes; `whole`: every record of it is here at its revision or a later
 * one (or trimmed). `promise`: the state with the promise raised (a rewrite of a newer epoch
 * than promised raises it, as an append does), or undefined.
 */
export async function rewriteChange (st: ReplicaState, records: readonly StoredRecord[], gen: number, held: HeldRecords, raised: ReplicaState | undefined): Promise<{ change: ReplicaChange | undefined, whole: boolean }> {
  const base = raised ?? st
  const s = base.summary
  const floor = floorOf(s)
  const inLog = records.filter((r) => r.seq >= floor)
  const now = await held(inLog.map((r) => r.seq))
  const replace = inLog.filter((r, i) => {
    const old = now[i]
    return old !== undefined && old.seq === r.seq && old.epoch === r.epoch && laterRevision(r, old)
  })
  // it holds the whole rewrite when every record of it is here at its revision or a later one (or
  // trimmed): then it says so (`revised`), and owners read from it again
  const whole = inLog.every((r, i) => {
    const old = now[i]
    return old !== undefined && old.seq === r.seq && old.epoch === r.epoch
  })
  // (only the next generation after the one it holds: one that missed a rewrite never says it
  // holds a later one, until anti-entropy brings it: ReplicaCore.takeRevised)
  const revised = whole && gen > (s.revised ?? 0) && (s.revised ?? 0) >= gen - 1 ? gen : undefined
  const rewrites = gen > (s.rewrites ?? s.revised ?? 0) ? gen : undefined
  if (replace.length === 0 && raised === undefined && revised === undefined && rewrites === undefined) return { change: undefined, whole }
  const summary = { ...s, ...(revised !== undefined && { revised }), ...(rewrites !== undefined && { rewrites }) }
  return { change: { state: { ...base, summary }, stateChanged: true, ...(replace.length > 0 && { replace }) }, whole }
}

/** What a trim asks of one replica (the request's fields). */
export interface TrimAsk {
  readonly before: number
  /** The epoch of the owner's record `before − 1`. */
  readonly prevEpoch: number
  readonly snapshot?: StoredSnapshot
  /** The epoch of the owner whose trim this is (an owner's trim: its own; a floor anti-entropy
   * copies: the peer's `floorBy`); undefined when not known. */
  readonly by?: number
}

/**
 * What a replica changes for a trim: its records below `before` go, its floor becomes `before`
 * (never lowered), and the snapshot that came with it is kept when newer than the one held.
 * 'no-snapshot' when it would hold none covering `before − 1`: what goes must be in a snapshot, or
 * recovery could not rebuild the entity. A replica whose log does not reach `before − 1`, or parts
 * from the owner's there (another epoch), takes the owner's log up to it whole: it drops every
 * record and its head becomes `before − 1` of the owner's epoch there (what it held after that
 * point was never acknowledged: by log matching, it is not the owner's) — unless its record there is
 * of a later epoch than the trim's owner (`by`): then it was written by an owner that took the
 * entity after the trimmed records were acknowledged, whose log holds them (as resealed, or kept,
 * by its recovery: E5), and its records after that point may be acknowledged ones, which stay.
 * Undefined: nothing to do.
 * `epochOf`: the epoch of this replica's record at a seq.
 */
export async function trimChange (st: ReplicaState, ask: TrimAsk, epochOf: (seq: number) => Promise<number | undefined>, raised: ReplicaState | undefined):
Promise<ReplicaChange | 'no-snapshot' | undefined> {
  const base = raised ?? st
  const s = base.summary
  const { before, prevEpoch, snapshot } = ask
  const newer = snapshot !== undefined && snapshot.seq > s.snapshotSeq ? snapshot : undefined
  const snapshotSeq = Math.max(s.snapshotSeq, newer?.seq ?? 0)
  if (snapshotSeq < before - 1) return 'no-snapshot'
  if (before <= floorOf(s)) {
    if (raised === undefined && newer === undefined) return undefined
    return { state: { ...base, summary: { ...s, snapshotSeq } }, ...(newer !== undefined && { snapshot: newer }) }
  }
  const at = before - 1
  const mine = at <= s.head ? (epochAt(s.segments, s.head, at) ?? await epochOf(at)) : undefined
  // (a later owner resealed the trim's last record, or wrote past it: this log is the newer there)
  const agrees = mine === prevEpoch || (mine !== undefined && ask.by !== undefined && mine > ask.by)
  const by = ask.by === undefined ? {} : { floorBy: ask.by }
  const summary: LogSummary = agrees
    ? { ...s, snapshotSeq, floor: before, ...by }
    : { ...s, head: at, headEpoch: prevEpoch, segments: [[prevEpoch, at]], snapshotSeq, floor: before, ...by }
  return {
    state: { summary, promisedBy: base.promisedBy },
    removeBelow: before,
    ...(!agrees && s.head >= before && { removeFrom: before }),
    ...(newer !== undefined && { snapshot: newer })
  }
}
