import { createPlainCodec } from '../../../actors/index.ts'
import type { PlainCodec } from '../../../actors/index.ts'
import { CorruptRecordError } from '../../storage/index.ts'
import type { StoreOp } from '../../storage/index.ts'
import { SealedRecord } from './stored-records.ts'
import type { ReplicaState } from './replica-storage.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'

/**
 * A replica's values as the store keeps them (replica-keys.ts): a record `{ e: epoch, v: event }`,
 * a replica state, a snapshot `{ seq, state }`, encoded by the node's codec. A value that passed
 * its seal but does not decode to what its key says is damaged all the same (CorruptRecordError).
 */
export class ReplicaValues {
  readonly #codec: PlainCodec = createPlainCodec()

  encode (value: unknown): Uint8Array {
    return this.#codec.encode(value)
  }

  encodeRecord (r: StoredRecord): Uint8Array {
    // (a record never rewritten keeps the shape it always had: its digest is the same as before)
    if (r.rev === undefined || r.rev === 0) return this.#codec.encode({ e: r.epoch, v: r.event })
    return this.#codec.encode(r.revEpoch === undefined || r.revEpoch === r.epoch ? { e: r.epoch, v: r.event, r: r.rev } : { e: r.epoch, v: r.event, r: r.rev, q: r.revEpoch })
  }

  /** A record's put under `key`: its stored value as it came when it carries one (a restore's
   * SealedRecord, sealed under this very key: written as it is), else encoded here (the store seals it). */
  recordOp (key: string, r: StoredRecord): StoreOp {
    // only a SealedRecord as decoded: a copy of one ({ ...r, event }) carries its old bytes, which
    // are not its event any more (an erasure's scrubbed copy must never write the original)
    return r instanceof SealedRecord ? { type: 'put', key, value: r.sealed, sealed: true } : { type: 'put', key, value: this.encodeRecord(r) }
  }

  encodeState (state: ReplicaState): Uint8Array {
    const s = state.summary
    const value = { promised: s.promised, promisedBy: state.promisedBy, head: s.head, headEpoch: s.headEpoch, segments: s.segments, snapshotSeq: s.snapshotSeq }
    return this.#codec.encode({ ...value, ...(s.floor !== undefined && s.floor > 1 && { floor: s.floor }), ...(s.revised !== undefined && s.revised > 0 && { revised: s.revised, ...((s.revisedEpoch ?? 0) > 0 && { revisedEpoch: s.revisedEpoch }) }), ...(s.rewrites !== undefined && s.rewrites > 0 && { rewrites: s.rewrites, ...((s.rewritesEpoch ?? 0) > 0 && { rewritesEpoch: s.rewritesEpoch }) }) })
  }

  /** Any value decoded (CorruptRecordError: sealed but not decodable). */
  decode (key: string, value: Uint8Array): unknown {
    try {
      return this.#codec.decode(value)
    } catch (err) {
      throw new CorruptRecordError(key, `sealed but not decodable: ${(err as Error).message}`)
    }
  }

  /** A record's epoch, event and revision (absent: 0); undefined when the value decodes to something
   * that is not one. */
  recordOrUndefined (key: string, value: Uint8Array): { epoch: number, event: unknown, rev?: number, revEpoch?: number } | undefined {
    const r = this.decode(key, value) as { e?: unknown, v?: unknown, r?: unknown, q?: unknown } | null
    if (r === null || typeof r !== 'object' || typeof r.e !== 'number') return undefined
    if (r.r === undefined) return { epoch: r.e, event: r.v }
    if (!Number.isSafeInteger(r.r) || (r.r as number) < 0) return undefined
    if (r.q === undefined) return { epoch: r.e, event: r.v, rev: r.r as number }
    if (!Number.isSafeInteger(r.q) || (r.q as number) < 0) return undefined
    return { epoch: r.e, event: r.v, rev: r.r as number, revEpoch: r.q as number }
  }

  /** A record's epoch, event and revision (CorruptRecordError when it is not one). */
  record (key: string, value: Uint8Array): { epoch: number, event: unknown, rev?: number, revEpoch?: number } {
    const r = this.recordOrUndefined(key, value)
    if (r === undefined) throw new CorruptRecordError(key, 'sealed but not a record')
    return r
  }

  state (key: string, value: Uint8Array): ReplicaState {
    const s = this.decode(key, value) as Partial<{ promised: number, promisedBy: string, head: number, headEpoch: number, segments: Array<[number, number]>, snapshotSeq: number, floor: number, revised: number, revisedEpoch: number, rewrites: number, rewritesEpoch: number }>
    if (typeof s?.promised !== 'number' || typeof s.head !== 'number' || !Array.isArray(s.segments)) throw new CorruptRecordError(key, 'sealed but not a replica state')
    const summary = { promised: s.promised, head: s.head, headEpoch: s.headEpoch ?? 0, segments: s.segments, snapshotSeq: s.snapshotSeq ?? 0 }
    return {
      summary: { ...summary, ...(typeof s.floor === 'number' && s.floor > 1 && { floor: s.floor }), ...(typeof s.revised === 'number' && s.revised > 0 && { revised: s.revised, ...(typeof s.revisedEpoch === 'number' && s.revisedEpoch > 0 && { revisedEpoch: s.revisedEpoch }) }), ...(typeof s.rewrites === 'number' && s.rewrites > 0 && { rewrites: s.rewrites, ...(typeof s.rewritesEpoch === 'number' && s.rewritesEpoch > 0 && { rewritesEpoch: s.rewritesEpoch }) }) },
      promisedBy: s.promisedBy ?? ''
    }
  }

  snapshot (key: string, value: Uint8Array): StoredSnapshot {
    const s = this.decode(key, value) as Partial<StoredSnapshot> | null
    if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.seq) || (s.seq as number) < 1) throw new CorruptRecordError(key, 'sealed but not a snapshot')
    return { seq: s.seq as number, state: s.state }
  }
}

