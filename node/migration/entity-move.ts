import type { Spans } from '../tracing/index.ts'
import type { ActorSystem, RemotingPort } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import { ADOPT_ASK_MS, PRE_MOVE_MS } from './constants.ts'
import { MIGRATION_PATH, adoptedPause } from './migration-protocol.ts'
import type { MigrationMsg, MoveOutcome, MoveResult, MoveTrigger } from './migration-protocol.ts'

/** What one move of an entity away from this node uses (the migrator's). */
export interface EntityMoveDeps {
  readonly system: ActorSystem
  readonly port: RemotingPort
  /** Whether a member is alive (not down). */
  readonly live: (peer: string) => boolean
  /** How long the move waits for the entity's work in progress before it interrupts it. */
  readonly busyMs: number
  /** After the interrupt, how long the work gets to end cleanly. */
  readonly graceMs: number
  /** Work before the entity is released to `to`, outside its pause; bounded by PRE_MOVE_MS. */
  readonly beforeMove?: (type: string, key: string, to: string) => Promise<void>
  /** The move ended with `result`; `started`: when its pause began (performance.now). */
  readonly ended: (result: MoveResult, trigger: MoveTrigger, started: number) => void
  readonly log: { warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** A move is a span, `entity.move` (a trace of its own, as the head sampler decides, unless
   * one is recorded where it was asked for). @default none */
  readonly spans?: Spans
}

/**
 * Moves `type/key` from this node to `to`, as its old owner (ARCHITECTURE: Migration): the entity
 * stops taking messages (they wait), finishes the one in progress, and is handed over (snapshot,
 * volatile state, epoch+1, the messages that waited) to `to`, which adopts it; what arrives from
 * then on follows the hand-off on the same link. Never rejects: the result says how it ended
 * (moved; cold: it did not stop cleanly, `to` recovers it from its journal; failed: `to` did not
 * take it; not-active).
 */
export async function moveEntity (deps: EntityMoveDeps, type: string, key: string, to: string, trigger: MoveTrigger): Promise<MoveResult> {
  const spans = deps.spans
  // (no span for a move to where it already is: nothing moves)
  if (spans === undefined || !spans.on || to === deps.port.node) return await move(deps, type, key, to, trigger)
  return await spans.span('entity.move', { 'plexi.entity': `${type}/${key}`, 'plexi.from': deps.port.node, 'plexi.to': to, 'plexi.trigger': trigger },
    async () => await move(deps, type, key, to, trigger), { root: true, role: 'producer', resultAttrs: (r: MoveResult) => ({ 'plexi.outcome': r.outcome, 'plexi.pause_ms': Math.round(r.pauseMs * 1000) / 1000 }) })
}

async function move (deps: EntityMoveDeps, type: string, key: string, to: string, trigger: MoveTrigger): Promise<MoveResult> {
  const { port, system, log, live } = deps
  const entity = `${type}/${key}`
  const from = port.node
  if (to !== from && deps.beforeMove !== undefined) await beforeMove(deps.beforeMove, type, key, to, log)
  const started = performance.now()
  /** `measured`: the pause the new owner measured (capped by this node's own view of the move). */
  const result = (outcome: MoveOutcome, why?: string, measured?: number): MoveResult => {
    const own = performance.now() - started
    const moved: MoveResult = { entity, from, to, outcome, pauseMs: measured === undefined ? own : Math.min(own, measured), ...(why !== undefined && { why }) }
    deps.ended(moved, trigger, started)
    return moved
  }
  if (to === from) return result('not-active', 'it is already here')
  const released = await port.release(type, key, { busyMs: deps.busyMs, graceMs: deps.graceMs })
  if (released.outcome === 'not-active') return result('not-active')
  if (released.outcome === 'cold') {
    // one still taking its journal (waiting out another owner's lease) stopped waiting: a view
    // change, not a fault
    if (released.untaken === true) log.debug({ entity, to, why: released.why }, `${entity} moves to ${to} before it was taken here (${released.why}); ${to} takes it from its journal`)
    else log.warn({ entity, to, why: released.why }, `${entity} did not stop cleanly to move to ${to} (${released.why}); ${to} recovers it from its journal`)
    port.finishRelease(type, key, to)
    return result('cold', released.why)
  }
  const adopting = system.actorAt<MigrationMsg>({ node: to, path: MIGRATION_PATH })
    .ask<unknown>((replyTo) => ({ type: 'adopt', entityType: type, key, handOff: released.handOff, paused: { ms: performance.now() - started, at: Date.now() }, replyTo }), { timeout: ADOPT_ASK_MS })
  // what arrives from now on goes after the hand-off on the same link, so it reaches the new
  // owner after it: it waits there (claimed) while the hand-over lands, not here for the answer
  port.finishRelease(type, key, to)
  let answer: unknown
  try {
    answer = await adopting
  } catch (err) {
    // its state is durable: whoever takes it next recovers it from its journal; the messages
    // that waited go to the new owner if it lives (it activates the entity), else as placement says
    const why = describe(err)
    log.warn({ entity, to, err }, `${entity}: ${to} did not take it (${why}); its messages go on and it recovers from its journal`)
    port.finishRelease(type, key, live(to) ? to : undefined, released.handOff.buffered)
    return result('failed', why)
  }
  const measured = adoptedPause(answer)
  log.debug({ entity, to, trigger, seq: released.handOff.seq, buffered: released.handOff.buffered.length, pauseMs: measured }, `${entity} moved to ${to}`)
  return result('moved', undefined, measured)
}

/** The pre-move work, bounded; the entity keeps serving meanwhile, and moves whatever it says. */
async function beforeMove (work: NonNullable<EntityMoveDeps['beforeMove']>, type: string, key: string, to: string, log: EntityMoveDeps['log']): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => { resolve('expired') }, PRE_MOVE_MS) })
  try {
    const outcome = await Promise.race([work(type, key, to).then(() => 'done' as const), expired])
    if (outcome === 'expired') log.warn({ entity: `${type}/${key}`, to, ms: PRE_MOVE_MS }, 'the work before a move did not end in time; the entity moves without it')
  } catch (err) {
    log.debug({ entity: `${type}/${key}`, to, err }, `the work before a move failed (${describe(err)}); the entity moves without it`)
  } finally {
    clearTimeout(timer)
  }
}
