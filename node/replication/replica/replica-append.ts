import { epochAt, floorOf, withRecords } from '../journal/log-summary.ts'
import type { LogSummary } from '../journal/log-summary.ts'
import type { ReplicaRequest, StoredRecord } from './replica-protocol.ts'
import type { ReplicaChange, ReplicaState } from './replica-storage.ts'

type AppendRequest = Extract<ReplicaRequest, { op: 'append' }>

/** What a replica does with an append (docs/replication.md, steps 3–4 as a replica sees them). */
export type AppendPlan =
  | { readonly kind: 'stale' }
  | { readonly kind: 'mismatch' }
  /** Every record is held already, and the epoch is the one promised. */
  | { readonly kind: 'held' }
  | { readonly kind: 'write', readonly change: ReplicaChange, readonly summary: LogSummary, readonly raise: boolean, readonly records: number }

/**
 * The usual append, decided without a read: the owner this replica promised, in step with it
 * (the records continue the head, the head's epoch is the one the owner sent and the last
 * segment's), all of the last segment's epoch. Undefined for any other (planAppend, which decides
 * these the same way).
 */
export function appendAtHead (st: ReplicaState, request: AppendRequest): AppendPlan | undefined {
  const s = st.summary
  const { records } = request
  const lastSegment = s.segments[s.segments.length - 1]
  const first = records[0]
  const last = records[records.length - 1]
  if (request.epoch !== s.promised || request.activation !== st.promisedBy || request.prevSeq !== s.head || s.head === 0 ||
    request.prevEpoch !== s.headEpoch || lastSegment === undefined || lastSegment[0] !== s.headEpoch || first === undefined || last === undefined || first.seq !== s.head + 1) return undefined
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as StoredRecord
    if (r.epoch !== lastSegment[0] || r.seq !== s.head + 1 + i) return undefined
  }
  const summary: LogSummary = { ...s, head: last.seq, headEpoch: last.epoch }
  return { kind: 'write', change: { state: { summary, promisedBy: st.promisedBy }, stateChanged: false, records }, summary, raise: false, records: records.length }
}

/** Any append: fenced, log matching at prevSeq, records held skipped (`epochOf`: the epoch of a
 * held record older than the summary's segments). */
export async function planAppend (st: ReplicaState, request: AppendRequest, epochOf: (seq: number) => Promise<number | undefined>): Promise<AppendPlan> {
  const { epoch, activation, prevSeq, prevEpoch, records } = request
  const s = st.summary
  // an older epoch, or (never with a correct owner) the same epoch from another activation
  if (epoch < s.promised || (epoch === s.promised && activation !== st.promisedBy)) return { kind: 'stale' }
  // (below the floor every log agrees: what was trimmed was acknowledged)
  if (prevSeq > 0 && (prevSeq > s.head || (prevSeq >= floorOf(s) && (epochAt(s.segments, s.head, prevSeq) ?? await epochOf(prevSeq)) !== prevEpoch))) return { kind: 'mismatch' }
  // records it already holds (same seq, same epoch) are skipped; from the first it does not hold,
  // everything it has of another epoch goes (never acknowledged: docs/replication.md, I3–I5)
  // (and records below the floor are never written again)
  let i = 0
  while (i < records.length) {
    const rec = records[i] as StoredRecord
    if (rec.seq >= floorOf(s) && (rec.seq > s.head || (epochAt(s.segments, s.head, rec.seq) ?? await epochOf(rec.seq)) !== rec.epoch)) break
    i++
  }
  const fresh = records.slice(i)
  const raise = epoch > s.promised
  if (fresh.length === 0 && !raise) return { kind: 'held' }
  const first = fresh[0]
  // an append after the head in the last segment's epoch (the usual one) leaves the segments
  const lastSegment = s.segments[s.segments.length - 1]
  const extends_ = first !== undefined && first.seq === s.head + 1 && lastSegment !== undefined && fresh.every((r) => r.epoch === lastSegment[0])
  const segments = first === undefined || extends_ ? s.segments : withRecords(s.segments, first.seq, fresh.map((r) => r.epoch))
  const last = fresh[fresh.length - 1]
  const summary: LogSummary = {
    ...s,
    promised: Math.max(s.promised, epoch),
    head: last === undefined ? s.head : last.seq,
    headEpoch: last === undefined ? s.headEpoch : last.epoch,
    segments
  }
  const state: ReplicaState = { summary, promisedBy: raise ? activation : st.promisedBy }
  const sameSegments = segments === s.segments || (segments.length === s.segments.length && segments.every((g, k) => g[0] === s.segments[k]?.[0] && g[1] === s.segments[k]?.[1]))
  const rewinds = first !== undefined && first.seq <= s.head
  const change: ReplicaChange = {
    state,
    stateChanged: raise || !sameSegments || rewinds,
    ...(rewinds && { removeFrom: first.seq }),
    ...(fresh.length > 0 && { records: fresh })
  }
  return { kind: 'write', change, summary, raise, records: fresh.length }
}
