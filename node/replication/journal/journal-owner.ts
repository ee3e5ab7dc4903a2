import type { EntityJournal } from '../../../actors/index.ts'
import type { ReplicaRequest, ReplyOf } from '../replica/replica-protocol.ts'
import type { Spans } from '../../tracing/index.ts'
import type { EntityLog } from './entity-log.ts'
import type { EntityLogOptions } from './entity-log-options.ts'
import { LogJournal } from './log-journal.ts'
import type { OwnerEnv, OwnerLog } from './owner-env.ts'
import type { LeaseOptions } from './owner-lease.ts'
import type { VersionPlans } from './partition-versions.ts'

/** Counters for metrics (plexi_replication_*). */
export interface ReplicationStats {
  opens: number
  recoveries: number
  appends: number
  appendedRecords: number
  staleEpochs: number
  failures: number
  /** Journals taken from a live move's hand-over, without a fence (docs/replication.md, "Hand-over"). */
  handOvers: number
  /** Hand-overs that did not fit (another replica set, a ticket used before): fenced instead. */
  handOversRefused: number
  /** Sum and count of quorum latencies (ms), and their histogram is the metrics' business. */
  observeQuorum: (ms: number) => void
}

/** An open activation's log, with the configuration version it carries now (moved on when its
 * node applies a newer one of the partition: ReplicatedJournal.rosterChanged). */
export interface OpenLog {
  readonly log: EntityLog
  readonly partition: number
  readonly carried: { version: number | undefined }
  /** A fence for a move to `carried.version` is out (journal/log-move.ts). */
  fencing?: boolean
}

/** What every owner on a node shares (ReplicatedJournal's). */
export interface OwnerDeps {
  readonly self: string
  readonly env: Omit<OwnerEnv, 'call'>
  /** An owner's request to the replica of `partition` on `node`. */
  readonly call: <R extends ReplicaRequest>(partition: number, node: string, request: R) => Promise<ReplyOf<R>>
  readonly live?: () => ReadonlySet<string>
  readonly spans?: Spans
  readonly stats?: ReplicationStats
  readonly lease?: LeaseOptions
  readonly log?: OwnerLog
  readonly appendTimeoutMs: number
  readonly plans: VersionPlans
  /** The open logs (roster changes move them). */
  readonly logs: Set<OpenLog>
  /** Moves an open log to its partition's replicas and version now, if it is not on them. */
  readonly follow: (open: OpenLog) => void
}

/** What an owner on the node runs on. */
export interface Owner {
  readonly options: (entityId: string, replicas: readonly string[], writeQuorum: number) => Omit<EntityLogOptions, 'activation' | 'formerHolders' | 'absentHolders' | 'widen' | 'onWhole'>
  readonly journal: (log: EntityLog) => EntityJournal
}

/**
 * What an owner of an entity of `partition` runs on, planned under configuration version `version`
 * (undefined: none carried): its options, and its journal once it holds the log (kept among the
 * open logs while open, so roster changes move it).
 */
export function ownerOf (deps: OwnerDeps, partition: number, version: number | undefined): Owner {
  const { stats, self, live, plans } = deps
  const listeners: Array<(err: Error) => void> = []
  const carried = { version }
  const env: OwnerEnv = {
    ...deps.env,
    call: (node, request) => deps.call(partition, node, request),
    ...(live !== undefined && { live: (node: string) => node === self || live().has(node) }),
    ...(deps.spans?.on === true && { trace: deps.spans })
  }
  return {
    options: (entityId, replicas, writeQuorum) => ({
      entityId,
      replicas,
      writeQuorum,
      self,
      env,
      appendTimeoutMs: deps.appendTimeoutMs,
      ...(version !== undefined && { version: () => carried.version as number }),
      ...(plans.on && { newerVersion: (v: number) => { plans.refused(partition, v) } }),
      ...(deps.lease !== undefined && { lease: deps.lease }),
      ...(deps.log !== undefined && { log: deps.log }),
      onFailed: (err) => {
        if (stats !== undefined) {
          if (err.name === 'StaleEpochError') stats.staleEpochs++
          else stats.failures++
        }
        for (const l of listeners.splice(0)) l(err)
      }
    }),
    journal: (log) => {
      const entry: OpenLog = { log, partition, carried }
      deps.logs.add(entry)
      // (a roster change heard after its take accepted its fence did not find it open: it follows)
      deps.follow(entry)
      listeners.push(() => { deps.logs.delete(entry) })
      return new LogJournal(log, listeners, stats, () => { deps.logs.delete(entry) })
    }
  }
}
