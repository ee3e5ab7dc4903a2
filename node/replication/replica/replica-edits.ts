import { epochAt, floorOf, genAfter, revisedOf, sentOf } from '../journal/log-summary.ts'
import type { LogSummary, Segment } from '../journal/log-summary.ts'
import { laterRevision } from './replica-protocol.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'
import type { ReplicaChange, ReplicaState } from './replica-storage.ts'

/** A rewrite's fields (the request's): its records, the owner's epoch and its generation, and the
 * generation the owner's follows (absent: an older version's owner, gen − 1 as before). */
export interface RewriteAsk {
  readonly records: readonly StoredRecord[]
  readonly epoch: number
  readonly gen: number
  readonly prevGen?: number
  readonly prevGenEpoch?: number
}

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
export async function rewriteChange (st: ReplicaState, ask: RewriteAsk, held: HeldRecords, raised: ReplicaState | undefined): Promise<{ change: ReplicaChange | undefined, whole: boolean }> {
  const { records } = ask
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
  // (only when it holds the generation the owner's follows, or a later one: one that missed a
  // rewrite never says it holds a later one, until anti-entropy brings it: ReplicaCore.takeRevised;
  // generations ordered by their owner's epoch first: log-summary.ts, Generation)
  const gen = { epoch: ask.epoch, gen: ask.gen }
  const holds = revisedOf(s)
  const prev = ask.prevGen === undefined ? { epoch: holds.epoch, gen: ask.gen - 1 } : { epoch: ask.prevGenEpoch ?? 0, gen: ask.prevGen }
  const revised = whole && genAfter(gen, holds) && genAfter(holds, prev, true) ? gen : undefined
  const rewrites = genAfter(gen, sentOf(s)) ? gen : undefined
  if (replace.length === 0 && raised === undefined && revised === undefined && rewrites === undefined) return { change: undefined, whole }
  const summary = { ...s, ...(revised !== undefined && { revised: revised.gen, revisedEpoch: revised.epoch }), ...(rewrites !== undefined && { rewrites: rewrites.gen, rewritesEpoch: rewrites.epoch }) }
  return { change: { state: { ...base, summary }, stateChanged: true, ...(replace.length > 0 && { replace }) }, whole }
}

/** What a trim asks of one replica (the request's fields). */
export interface TrimAsk {
  readonly before: number
  /** The epoch of the owner's record `before − 1`. */
  readonly prevEpoch: number
  readonly snapshot?: StoredSnapshot
}

/**
 * What a replica changes for a trim: its records below `before` go, its floor becomes `before`
 * (never lowered), and the snapshot that came with it is kept when newer than the one held.
 * 'no-snapshot' when it would hold none covering `before − 1`: what goes must be in a snapshot, or
 * recovery could not rebuild the entity. A replica whose log does not reach `before − 1` takes the
 * owner's log up to it whole: it drops every record and its head becomes `before − 1` of the
 * owner's epoch there. One whose log reaches it keeps what it holds from `before` on, whatever the
 * epoch of its record at `before − 1`: below the floor every record was acknowledged, so the logs
 * agree there in content even where their epochs differ (a recovery reseals its best log's last
 * record in its own epoch on the replicas it writes to, and a replica whose floor was already past
 * it never takes the new copy); what it holds from `before` on is matched seq by seq, by epoch, as
 * ever (an append replaces what parts from the owner's log). Comparing epochs at `before − 1`
 * dropped acknowledged records there (seeds 445834940 and 600028604). Undefined: nothing to do.
 */
export function trimChange (st: ReplicaState, ask: TrimAsk, raised: ReplicaState | undefined): ReplicaChange | 'no-snapshot' | undefined {
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
  const summary: LogSummary = s.head >= at
    ? { ...s, snapshotSeq, floor: before }
    : { ...s, head: at, headEpoch: prevEpoch, segments: [[prevEpoch, at]], snapshotSeq, floor: before }
  return {
    state: { summary, promisedBy: base.promisedBy },
    removeBelow: before,
    ...(newer !== undefined && { snapshot: newer })
  }
}

/**
 * What a replica changes for an owner's `truncate` (its head is `after`, of `afterEpoch`): what it
 * holds past `after` goes (never acknowledged: every acknowledged record is in the owner's log).
 * 'mismatch' where its log parts from the owner's at `after`, at or above its floor (the owner feeds
 * it from where they part); below its floor it holds nothing to compare, and its head there becomes
 * the owner's record's. Undefined: nothing to do. `raised`: the state with the promise raised (an
 * owner of a newer epoch than promised), written with the change as an append's is.
 */
export async function truncateChange (st: ReplicaState, ask: { readonly after: number, readonly afterEpoch: number }, epochOf: (seq: number) => Promise<number | undefined>, raised: ReplicaState | undefined):
Promise<ReplicaChange | 'mismatch' | undefined> {
  const s = st.summary
  const base = raised ?? st
  const { after, afterEpoch } = ask
  if (s.head <= after) return raised === undefined ? undefined : { state: raised }
  const floor = floorOf(s)
  if (after >= floor && after > 0 && (epochAt(s.segments, s.head, after) ?? await epochOf(after)) !== afterEpoch) return 'mismatch'
  const kept = s.segments.filter(([, first]) => first <= after)
  const segments: Segment[] = after === 0 ? [] : after < floor || kept.length === 0 ? [[afterEpoch, after]] : kept
  const headEpoch = after === 0 ? 0 : after < floor ? afterEpoch : (kept[kept.length - 1] as Segment)[0]
  const summary: LogSummary = { ...base.summary, head: after, headEpoch, segments }
  return { state: { summary, promisedBy: base.promisedBy }, stateChanged: true, removeFrom: after + 1 }
}
