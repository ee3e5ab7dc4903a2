import type { LeaseOptions } from './owner-lease.ts'
import type { OwnerEnv, OwnerLog } from './owner-env.ts'

/** An earlier set written at a write quorum of its own (EntityLogOptions.olderSets; a bare list of
 * nodes: at this log's write quorum). */
export interface OlderSet {
  readonly nodes: readonly string[]
  readonly writeQuorum: number
  /** More nodes of the set, replaced (lost for good): not in `nodes` (quorum.ts holdsEarlierSet). */
  readonly lost?: number
}

export interface EntityLogOptions {
  readonly entityId: string
  /** The nodes holding the entity's partition, R of them. */
  readonly replicas: readonly string[]
  /**
   * Other storage nodes that may hold the entity's journal from a replica set of before the
   * roster grew (a storage node joined, so the partition's R changed): fenced with the replicas
   * and read from, never written to nor counted in a quorum (docs/replication.md, "Roster
   * changes"). Each is waited for until it answers or fails.
   */
  readonly formerHolders?: readonly string[]
  /**
   * Storage nodes that may hold the entity's journal (as former holders may) but are not asked:
   * known to be down. Each counts as one that did not answer: with other holders possible, a
   * journal is taken only when fewer than W of them all went unread (see entity-take.ts).
   */
  readonly absentHolders?: number
  /**
   * Whom to fence instead of `formerHolders` and `absentHolders` when a replica answers the fence
   * as a learner (still catching up): every live storage node, and those down (docs/replication.md,
   * "Former holders"). Absent: the former holders given are already every one.
   */
  readonly widen?: { readonly formerHolders: readonly string[], readonly absentHolders: number }
  /**
   * With roster versions (docs/replication.md, "Roster versions"): the replica sets of the earlier
   * versions whose hand-off is not known complete (each fenced too, through `formerHolders`). The
   * take needs, of each, the promises of all but fewer than min(W, F) of its nodes, so that the
   * version it fences with is kept on a node of every write quorum and every fence quorum of that
   * set: an owner still under that version can neither acknowledge nor take the entity after it.
   */
  readonly olderSets?: ReadonlyArray<readonly string[] | OlderSet>
  /**
   * The configuration version of the entity's partition this activation was planned under
   * (docs/replication.md, "Roster versions"): carried by its fences, appends, truncates, leases,
   * rewrites and trims (owner-versions.ts); a replica that stored a newer one refuses them. Absent:
   * none carried (a replica that never stored a version serves them as before). A function: the
   * version the log carries now (an open log's partition moved to a newer configuration on its
   * node: replicated-journal.ts moves it there); the take uses its value when the take starts.
   */
  readonly version?: number | (() => number)
  /** Told of a newer version than `version` that a replica refused a request for. */
  readonly newerVersion?: (version: number) => void
  /** The lowest epoch the take may use (an owner that takes one entity again and again in one
   * millisecond, as the roster's keeper does, never reuses an epoch it tried: a replica that
   * promised it to the earlier try would refuse the later one's writes as a newer owner's). */
  readonly minEpoch?: number
  /** Told of each epoch the take tries. */
  readonly tried?: (epoch: number) => void
  /** Called once the entity is taken by a fence that every replica promised, none a learner: the
   * set holds the partition whole (the roster lets go of former holders then). */
  readonly onWhole?: () => void
  readonly writeQuorum: number
  /** What the owner says at debug level: a fence round that did not take the entity, a replica
   * that did not take an append (what a slow recovery or write waited for). */
  readonly log?: OwnerLog
  /** Names this activation uniquely (a fence asked again by it is answered yes). */
  readonly activation: string
  /** This node: reads go to its replica when it is one. */
  readonly self?: string
  readonly env: OwnerEnv
  /** @default DEFAULT_APPEND_TIMEOUT_MS */
  readonly appendTimeoutMs?: number
  /** How long a rewrite or a trim that W replicas took waits for the rest of the set (ms).
   * @default EDIT_EVERY_REPLICA_MS */
  readonly editEveryReplicaMs?: number
  /** Called once when the log stops for good (a newer owner fenced it, or a write timed out): the
   * entity must stop serving. */
  readonly onFailed?: (err: Error) => void
  /**
   * The owner's lease (docs/replication.md, "Leases"): reads are served from what this owner holds
   * only while W replicas are known to refuse any newer fence, else the epoch is confirmed by a
   * quorum first. Undefined: no leases (a node alone, whose replicas are in its own process).
   */
  readonly lease?: LeaseOptions
  /**
   * Aborted when the activation no longer wants the entity (placement moved it to another node
   * while this one was taking it): the take stops before its next fence round, and in its waits,
   * with TakeAbandonedError (the leases its last round's promises granted are let go, as after
   * any round that did not take it). Once the entity is taken, it has no effect.
   */
  readonly signal?: AbortSignal
  /**
   * Whether the view the take was planned on (its replicas, their write quorum, the storage nodes
   * it fences) is no longer this node's: asked before each fence round and before a round's
   * promises are taken as the entity's. True: the take lets its promises go and rejects with
   * RosterChangedError, never finishing on the stale plan (docs/replication.md, "Roster changes").
   * Once the entity is taken, it has no effect. @default never
   */
  readonly stale?: () => boolean
}
