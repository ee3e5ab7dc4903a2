import { MAX_ANSWER_LIST } from '../constants.ts'
import type { RepairResult } from '../repair/anti-entropy.ts'
import type { ScrubStats } from '../repair/scrub.ts'
import { isEntityId } from '../replica/replica-protocol.ts'
import type { CatchUpStatus } from '../roster/catch-up.ts'
import type { PartitionHandOffStatus } from '../roster/partition-hand-off.ts'
import type { TakeOverResult } from '../roster/pull-until-clean.ts'

/**
 * Other nodes' answers to the replication inspector (replication-inspector.ts), each checked
 * before it is used: a job, a listing or a partition hand-off counts only what a correct node could
 * have answered (anything else: Error, "its answer is not …").
 */

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0

/** Another node's repair result, checked before the job counts it. */
export function checkRepairResult (v: unknown): RepairResult {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || !['partitions', 'peers', 'records', 'repaired', 'bytes', 'divergent'].every((k) => isCount(r[k])) ||
    !Array.isArray(r.failures) || !r.failures.every((f) => typeof f === 'string')) {
    throw new Error('its answer is not a repair result')
  }
  return r as unknown as RepairResult
}

/** Another node's scrub statistics, checked. */
export function checkScrubStats (v: unknown): ScrubStats {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || typeof r.running !== 'boolean' ||
    !['passes', 'startedAt', 'lastPassAt', 'scanned', 'expected', 'bytes', 'corruptFound', 'repaired', 'quarantined'].every((k) => isCount(r[k]))) {
    throw new Error('its answer is not scrub statistics')
  }
  return r as unknown as ScrubStats
}

/** A new replica's answer to a take-over, checked before a partition hand-off trusts it. */
export function checkTakeOverResult (v: unknown): TakeOverResult {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || !['records', 'repaired', 'divergent', 'movedOn'].every((k) => isCount(r[k])) ||
    !Array.isArray(r.peerNewer) || r.peerNewer.length > MAX_ANSWER_LIST || !r.peerNewer.every((e) => isEntityId(e)) || (r.floors !== undefined && !isCount(r.floors))) {
    throw new Error('its answer is not a take-over result')
  }
  return r as unknown as TakeOverResult
}

/** A storage node's account of its catch-up, checked before an admin listing shows it. */
export function checkCatchUp (v: unknown): CatchUpStatus {
  const r = v as Record<string, unknown> | null
  const strings = (x: unknown): boolean => Array.isArray(x) && x.length <= MAX_ANSWER_LIST && x.every((w) => typeof w === 'string')
  if (r === null || typeof r !== 'object' || !isCount(r.partitions) || !isCount(r.caughtUp) || !strings(r.waiting) || !strings(r.replaced)) {
    throw new Error('its answer is not a catch-up status')
  }
  return r as unknown as CatchUpStatus
}

/** A leaving node's account of its partition hand-off, checked before an admin listing shows it. */
export function checkHandOffStatus (v: unknown): PartitionHandOffStatus {
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || !['idle', 'handing-off', 'done'].includes(r.state as string) || !isCount(r.partitions) || !isCount(r.done) || !isCount(r.since) ||
    !Array.isArray(r.waiting) || r.waiting.length > MAX_ANSWER_LIST || !r.waiting.every((w) => typeof w === 'string')) {
    throw new Error('its answer is not a hand-off status')
  }
  return r as unknown as PartitionHandOffStatus
}
