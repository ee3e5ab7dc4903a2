/**
 * The storage contracts entities run on. Small on purpose: the node's LevelDB store implements
 * them today, a replicated store (W of R replicas, epochs) later, and entities cannot tell.
 */

export interface JournalRecord<E = unknown> {
  /** 1, 2, 3, ... per entity, without gaps. */
  readonly seq: number
  readonly event: E
}

export interface Journal {
  /**
   * Appends records (consecutive seqs, continuing the entity's journal). Resolves only once they
   * are durable: a crash after that never loses them. Appends of one entity land in call order.
   */
  append (entityId: string, records: readonly JournalRecord[]): Promise<void>
  /** Records with seq >= from, in order, at most `limit`. Every record's hash is verified. */
  read (entityId: string, options: { from: number, limit: number }): Promise<JournalRecord[]>
  /** All records with seq >= from, in order, without holding them all in memory. */
  replay (entityId: string, from: number): AsyncIterable<JournalRecord>
  /** The last seq written for the entity; 0 when it has none. */
  highestSeq (entityId: string): Promise<number>
}

export interface Snapshot<S = unknown> {
  /** The state after applying every event up to and including `seq`. */
  readonly seq: number
  readonly state: S
}

export interface SnapshotStore {
  /** Called only after the events up to `snapshot.seq` are durable. */
  save (entityId: string, snapshot: Snapshot): Promise<void>
  /** The latest snapshot, or undefined. A corrupt one raises CorruptRecordError. */
  load (entityId: string): Promise<Snapshot | undefined>
}
