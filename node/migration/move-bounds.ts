import { ADOPT_ASK_MS, CLAIM_SLACK_MS, PRE_MOVE_MS, SETTLE_WAIT_MS } from './constants.ts'

/**
 * The longest one move away from its old owner takes before it answers (entity-move.ts): the work
 * before it (at most PRE_MOVE_MS), the entity's busy wait (`busyMs`), its grace after the interrupt
 * and the grace of the forced stop after that (`graceMs` each, LiveMove.release), then the adopt ask
 * (at most ADOPT_ASK_MS).
 */
export function moveMs (busyMs: number, graceMs: number): number {
  return PRE_MOVE_MS + busyMs + 2 * graceMs + ADOPT_ASK_MS
}

/**
 * How long a new owner's claim waits for the old owner's answer: the whole move the claim starts or
 * joins, and the round trip. A shorter wait gave up on a move still under way that then ended well
 * (the old owner still busy adopting on a starved machine): an admin's migration failed although
 * its entity arrived, and a claim of the hook recovered from the journal an entity on its way.
 */
export function claimAskMs (busyMs: number, graceMs: number): number {
  return moveMs(busyMs, graceMs) + CLAIM_SLACK_MS
}

/** How long an admin's migration may take, all told: the new owner's settling, its claim of the old
 * owner, and the round trip of the migrate ask itself. */
export function migrateAskMs (busyMs: number, graceMs: number): number {
  return SETTLE_WAIT_MS + claimAskMs(busyMs, graceMs) + CLAIM_SLACK_MS
}
