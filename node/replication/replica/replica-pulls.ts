import { epochAt, floorOf, withRecords } from '../journal/log-summary.ts'
import type { StoredRecord } from './replica-protocol.ts'
import type { ReplicaChange, ReplicaState } from './replica-storage.ts'

/** A peer's promise, with the activation it was made to. */
export interface PeerPromise { readonly epoch: number, readonly by: string }

/**
 * What a replica changes to fill records a peer holds after its head (ReplicaCore.fill;
 * docs/replication.md, anti-entropy step 5): 'moved-on' when its log changed since the caller
 * looked, undefined when nothing changes. RangeError for records that do not follow the head.
 */
export function fillChange (entity: string, st: ReplicaState, prevSeq: number, prevEpoch: number, records: readonly StoredRecord[], promise: PeerPromise): ReplicaChange | 'moved-on' | undefined {
  const s = st.summary
  if (prevSeq !== s.head || (prevSeq > 0 && s.headEpoch !== prevEpoch)) return 'moved-on'
  let seq = prevSeq
  let epoch = prevEpoch
  for (const r of records) {
    if (r.seq !== ++seq || r.epoch < epoch || r.epoch < 1 || r.epoch > Math.max(promise.epoch, s.promised)) {
      throw new RangeError(`${entity}: records to fill must follow seq ${prevSeq} in order, epochs not going down nor past the promise`)
    }
    epoch = r.epoch
  }
  const last = records[records.length - 1]
  const raise = promise.epoch > s.promised
  if (last === undefined && !raise) return undefined
  const first = records[0]
  // records of the last segment's epoch after the head leave the segments as they are (as an
  // ordinary append does): the stored state need not change unless the promise does
  const lastSegment = s.segments[s.segments.length - 1]
  const extends_ = first !== undefined && lastSegment !== undefined && records.every((r) => r.epoch === lastSegment[0])
  const next: ReplicaState = {
    summary: {
      ...s,
      promised: Math.max(s.promised, promise.epoch),
      head: last?.seq ?? s.head,
      headEpoch: last?.epoch ?? s.headEpoch,
      segments: first === undefined || extends_ ? s.segments : withRecords(s.segments, first.seq, records.map((r) => r.epoch))
    },
    promisedBy: raise ? promise.by : st.promisedBy
  }
  return { state: next, stateChanged: raise || next.summary.segments !== s.segments, ...(records.length > 0 && { records }) }
}

/** What an adoption asks (ReplicaCore.adopt). */
export interface AdoptAsk {
  readonly match: number
  readonly matchEpoch: number
  readonly peerHeadEpoch: number
  readonly records: readonly StoredRecord[]
  readonly promise: PeerPromise
}

/**
 * What a replica changes to let its tail after `match` give way to a newer peer log's
 * (ReplicaCore.adopt; docs/replication.md, anti-entropy step 6): 'moved-on' when its log changed
 * since the caller looked. `epochOf`: the epoch of this replica's record at a seq.
 */
export async function adoptChange (entity: string, st: ReplicaState, ask: AdoptAsk, epochOf: (seq: number) => Promise<number | undefined>): Promise<ReplicaChange | 'moved-on'> {
  const s = st.summary
  const { match, matchEpoch, peerHeadEpoch, records, promise } = ask
  // (a snapshot past the match would be of records about to go: left to the owners; nor below the
  // floor: what is trimmed was acknowledged, never a tail that gives way)
  if (s.head <= match || peerHeadEpoch <= s.headEpoch || s.snapshotSeq > match || match < floorOf(s) - 1) return 'moved-on'
  // (below the floor every log agrees)
  const ownAtMatch = match === 0 ? 0 : match < floorOf(s) ? matchEpoch : (epochAt(s.segments, s.head, match) ?? await epochOf(match))
  if (ownAtMatch !== matchEpoch) return 'moved-on'
  let seq = match
  let epoch = matchEpoch
  for (const r of records) {
    if (r.seq !== ++seq || r.epoch < epoch || r.epoch < 1 || r.epoch > Math.max(promise.epoch, s.promised, peerHeadEpoch)) {
      throw new RangeError(`${entity}: records to adopt must follow seq ${match} in order, epochs not going down`)
    }
    epoch = r.epoch
  }
  const first = records[0]
  const last = records[records.length - 1]
  if (first === undefined || last === undefined) return 'moved-on'
  const raise = promise.epoch > s.promised
  const next: ReplicaState = {
    summary: {
      ...s,
      promised: Math.max(s.promised, promise.epoch),
      head: last.seq,
      headEpoch: last.epoch,
      segments: withRecords(s.segments, first.seq, records.map((r) => r.epoch))
    },
    promisedBy: raise ? promise.by : st.promisedBy
  }
  return { state: next, removeFrom: match + 1, records }
}
