import { createPlainCodec } from '../../../actors/index.ts'
import type { PlainCodec } from '../../../actors/index.ts'
import { CorruptRecordError } from '../../storage/index.ts'
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
    return this.#codec.encode({ e: r.epoch, v: r.event })
  }

  encodeState (state: ReplicaState): Uint8Array {
    const s = state.summary
    return this.#codec.encode({ promised: s.promised, promisedBy: state.promisedBy, head: s.head, headEpoch: s.headEpoch, segments: s.segments, snapshotSeq: s.snapshotSeq })
  }

  /** Any value decoded (CorruptRecordError: sealed but not decodable). */
  decode (key: string, value: Uint8Array): unknown {
    try {
      return this.#codec.decode(value)
    } catch (err) {
      throw new CorruptRecordError(key, `sealed but not decodable: ${(err as Error).message}`)
    }
  }

  /** A record's epoch and event; undefined when the value decodes to something that is not one. */
  recordOrUndefined (key: string, value: Uint8Array): { epoch: number, event: unknown } | undefined {
    const r = this.decode(key, value) as { e?: unknown, v?: unknown } | null
    if (r === null || typeof r !== 'object' || typeof r.e !== 'number') return undefined
    return { epoch: r.e, event: r.v }
  }

  /** A record's epoch and event (CorruptRecordError when it is not one). */
  record (key: string, value: Uint8Array): { epoch: number, event: unknown } {
    const r = this.recordOrUndefined(key, value)
    if (r === undefined) throw new CorruptRecordError(key, 'sealed but not a record')
    return r
  }

  state (key: string, value: Uint8Array): ReplicaState {
    const s = this.decode(key, value) as Partial<{ promised: number, promisedBy: string, head: number, headEpoch: number, segments: Array<[number, number]>, snapshotSeq: number }>
    if (typeof s?.promised !== 'number' || typeof s.head !== 'number' || !Array.isArray(s.segments)) throw new CorruptRecordError(key, 'sealed but not a replica state')
    return {
      summary: { promised: s.promised, head: s.head, headEpoch: s.headEpoch ?? 0, segments: s.segments, snapshotSeq: s.snapshotSeq ?? 0 },
      promisedBy: s.promisedBy ?? ''
    }
  }

  snapshot (key: string, value: Uint8Array): StoredSnapshot {
    const s = this.decode(key, value) as Partial<StoredSnapshot> | null
    if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.seq) || (s.seq as number) < 1) throw new CorruptRecordError(key, 'sealed but not a snapshot')
    return { seq: s.seq as number, state: s.state }
  }
}
