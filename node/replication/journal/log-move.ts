import { FENCE_CALL_TRIES } from '../constants.ts'
import { ConfigurationMovedError } from '../lease-errors.ts'
import type { OpenLog } from './journal-owner.ts'
import type { EntityLog } from './entity-log.ts'
import type { OlderSet } from './entity-log-options.ts'
import { fenceRound } from './fence-round.ts'
import type { FenceTargets } from './fence-targets.ts'
import type { OwnerEnv } from './owner-env.ts'
import { fenceQuorum, holdsEarlierSet } from './quorum.ts'

/** An open log whose partition moved to configuration version `version` on its node. */
export interface LogMove {
  readonly log: EntityLog
  readonly version: number
  /** The partition's set under it, and its W. */
  readonly replicas: readonly string[]
  readonly writeQuorum: number
  /** Whom a take under it fences besides the set (journal/fence-targets.ts). */
  readonly targets: FenceTargets & { readonly olderSets?: readonly OlderSet[] }
  /** The owner's way to the replicas (the request names the version itself). */
  readonly env: OwnerEnv
}

/**
 * Fences, for an open log whose partition moved to a newer configuration version, what a take
 * under that version fences, with the log's own epoch and activation and the new version
 * (docs/replication.md, "Hand-overs and open logs"): a replica that promised this activation
 * answers yes again and stores the version; one of the new set promises the epoch unless it
 * promised a newer one. The move holds when no node refused and the promises would refuse any
 * other owner as a take's do (F of the new set, all but fewer than min(W, F) of each earlier set):
 * the log then goes on on the new set, with no recovery, so nothing to read (its own log is the
 * entity's: any record acknowledged past it was acknowledged under a newer epoch, whose promises
 * would have refused this round, or after this round, by an owner that fenced this epoch). Resolves with why not, in words (undefined: it holds).
 * Meanwhile the log acknowledges nothing (EntityLog.hold), so that no record is acknowledged on the
 * old set alone once the version is stored there: a settle of the partition pulls only what the
 * old set held before it.
 */
export async function fenceForMove (move: LogMove): Promise<string | undefined> {
  const { log, version, replicas, writeQuorum, targets, env } = move
  const formers = targets.formerHolders.filter((n) => !replicas.includes(n))
  const nodes = [...replicas, ...formers]
  const request = { op: 'fence', entity: log.entityId, epoch: log.epoch, activation: log.activation, version } as const
  const round = await fenceRound(env, nodes, request, () => false, FENCE_CALL_TRIES)
  if (round.refused > 0) return `a replica promised epoch ${round.highest ?? '?'} or holds a newer configuration`
  // (what a move needs is that its promises refuse every other owner, not to read: a learner's
  // promise counts as any, and one refused for another owner's lease counts as not made)
  const f = fenceQuorum(replicas.length, writeQuorum)
  const promised = replicas.filter((n) => round.oks.has(n)).length
  if (promised < f) return `${promised} of the ${replicas.length} replicas of the new set promised (${f} needed)`
  for (const set of targets.olderSets ?? []) {
    const missing = set.nodes.filter((n) => !round.oks.has(n)).length
    if (!holdsEarlierSet(set.nodes.length, set.lost ?? 0, missing, set.writeQuorum)) return `${missing} of the ${set.nodes.length} nodes of an earlier set did not promise`
  }
  return undefined
}

/**
 * An open log whose partition's configuration version here is no longer the one it carries
 * (config versioned-fences): it carries the new one, writes to the new set at once and holds its
 * acknowledgments while it fences for the move (`plan`: the set, its W, the targets and the way to
 * the replicas under the version), then acknowledges again; one that cannot, or whose node does not
 * know the new version (undefined), stops (ConfigurationMovedError) and its entity is taken again.
 * A log resumed from a hand-over of a moving one fences for the move the same way. Returns whether
 * it moves to another version.
 */
export function followVersion (open: OpenLog, version: number | undefined, plan: (version: number) => Omit<LogMove, 'log' | 'version'>): boolean {
  const { log, partition, carried } = open
  const from = carried.version as number
  if (version === undefined || version < from) {
    log.stop(new ConfigurationMovedError(log.entityId, partition, from, version ?? from, 'this node does not know the new version yet'))
    return false
  }
  // (a log resumed from a moving one fences for the move itself, once)
  if (version === from && (!log.moving || open.fencing === true)) return false
  const planned = plan(version)
  if (planned.targets.olderSets === undefined) {
    // (the earlier sets not known here: a take fencing every storage node does it instead)
    log.stop(new ConfigurationMovedError(log.entityId, partition, from, version, 'the partition\'s earlier sets are not known on this node'))
    return false
  }
  carried.version = version
  log.hold()
  // written to at once (a ticket handed over meanwhile names the new set), acknowledged once fenced
  log.reconfigure(planned.replicas, planned.writeQuorum)
  open.fencing = true
  void fenceForMove({ log, version, ...planned }).catch((err: unknown) => (err as Error).message).then((why) => {
    // (moved again meanwhile: the later move decides)
    if (carried.version !== version) return
    open.fencing = false
    if (why === undefined) log.release()
    else log.stop(new ConfigurationMovedError(log.entityId, partition, from, version, why))
  })
  return version !== from
}
