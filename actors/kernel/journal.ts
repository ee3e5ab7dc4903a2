/**
 * The storage contract entities run on. Small on purpose: the node's replicated journal
 * (node/replication: W of R replicas, epochs) implements it, one node alone with R = 1, and
 * entities cannot tell.
 */

export interface JournalRecord<E = unknown> {
  /** 1, 2, 3, ... per entity, without gaps. */
  readonly seq: number
  readonly event: E
}

export interface Snapshot<S = unknown> {
  /** The state after applying every event up to and including `seq`. */
  readonly seq: number
  readonly state: S
}

/** Where entities keep their journals. */
export interface Journal {
  /**
   * Takes an entity's journal for a new activation. Once this resolves, no earlier activation,
   * on any node, can add to it (it is fenced), and it holds every record ever acknowledged.
   * `handedOver`: what the entity's previous activation handed over in a live move
   * (EntityJournal.handOver); the journal may go on from that activation's hold instead of fencing
   * (that activation has stopped for good), or ignore it and open as usual.
   * `signal`: aborted when the activation no longer wants the entity (it is moving to another node
   * before its journal was taken); a journal that waits (another owner's lease) then stops waiting
   * and rejects with an error marked superseded (isSuperseded), so that what waited for the
   * activation is sent again, to the owner placement names now. Once taken, it has no effect.
   */
  open (entityId: string, handedOver?: unknown, signal?: AbortSignal): Promise<EntityJournal>
}

/** One activation's hold on an entity's journal. */
export interface EntityJournal {
  /** The last seq when it was opened (0: none). */
  readonly head: number
  /**
   * Appends records (consecutive seqs, continuing the journal). Resolves only once they are
   * durable where the journal promises (W replicas): a crash after that never loses them.
   * Appends land in call order.
   */
  append (records: readonly JournalRecord[]): Promise<void>
  /** Durable records with seq >= from, in order, at most `limit`. Every record's hash is verified. */
  read (options: { from: number, limit: number }): Promise<JournalRecord[]>
  /** Every durable record with seq >= from, in order, without holding them all in memory. */
  replay (from: number): AsyncIterable<JournalRecord>
  /** The latest snapshot, or undefined. A corrupt one raises CorruptRecordError where no other
   * copy can be read (a replicated journal falls back to an older one, or to none: a full replay). */
  loadSnapshot (): Promise<Snapshot | undefined>
  /** Called only after the events up to `snapshot.seq` are durable. */
  saveSnapshot (snapshot: Snapshot): Promise<void>
  /**
   * Whether this activation's hold is provably current at this moment: no other activation can have
   * taken the entity (a replicated journal holds a lease from a quorum of its replicas,
   * docs/replication.md "Leases"). False: call `confirm` before answering anything from the
   * entity's state. Absent: always current (one node alone, a journal without leases).
   */
  current? (): boolean
  /**
   * Confirms with a quorum of the replicas that this hold is still the newest (renewing its lease)
   * and resolves with the durable head. Rejects with an error marked `superseded` (and the journal
   * fails, see onFailed) when a newer activation took the entity, or with an `unavailable` one
   * when too few replicas answered.
   */
  confirm? (): Promise<number>
  /** `listener` is called once if the journal stops taking writes for good (another activation
   * took the entity, or too few replicas answered): the activation must stop. */
  onFailed (listener: (err: Error) => void): void
  /**
   * For a live move: lets go of the journal so that the entity's next activation, on another node,
   * can go on from this one's hold (Journal.open's `handedOver`) without taking it anew. Plain data
   * (it crosses the mesh), or undefined when this journal cannot hand over (it failed, too much is
   * in flight, or it lacks the feature): the next activation then takes it as usual. Once it
   * returned a value, nothing more can be appended here; appends still in flight go with the value
   * and settle here as usual (close() leaves them be).
   */
  handOver? (): unknown
  /**
   * Replaces durable records (each seq in [floor, durable head]) with these events, keeping their
   * seqs (and epochs): each record's next revision. Resolves once every replica up holds them (W
   * at least; one that stays behind or down takes them by anti-entropy); from then on no read
   * returns the old events, and those replicas' stores no longer hold them. Rewrites run one at a
   * time, in call order. Absent: the journal
   * cannot rewrite (the kernel's ctx.rewrite then rejects).
   */
  rewrite? (records: readonly JournalRecord[]): Promise<void>
  /**
   * Drops every record below `before` (at most the durable head + 1), once `snapshot` — the state
   * after some seq ≥ before − 1, every event up to it durable — is kept with them: resolves once W
   * replicas hold the snapshot and the floor. Reads and replays start at the floor from then on.
   */
  trim? (before: number, snapshot: Snapshot): Promise<void>
  /** The first seq the journal still holds: 1 until trimmed. Absent: 1. */
  readonly floor?: number
  /**
   * The seq up to which the copy of this journal kept by node `node` (a replica's store) is known to
   * hold its durable records from the floor on, each as written or at another revision (a rewrite
   * may not have reached that copy yet); 0 where none is known. What a reader on that node may read
   * from its own store instead of through this activation. Absent: 0 (no copy is known).
   */
  heldBy? (node: string): number
  /** Lets go of the journal; appends still waiting fail. */
  close (): void
}
