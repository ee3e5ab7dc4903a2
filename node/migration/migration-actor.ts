import type { ActorContext, ActorSystem, Behavior, RemotingPort } from '../../actors/index.ts'
import { clip } from '../../protocols/index.ts'
import { MoveRefusedError, NotLeavingError } from './errors.ts'
import { MIGRATION_PATH, checkMigrationMsg } from './migration-protocol.ts'
import type { LeaveMode, LeaveStatus, MigrationMsg, MoveResult, MoveTrigger } from './migration-protocol.ts'
import type { OwnerView } from './owner-view.ts'

/** A node's leave as the migration actor answers for it (node/migration/leave.ts's Leave). */
export interface LeaveHandle {
  readonly mode: LeaveMode | undefined
  request (mode: LeaveMode): LeaveStatus
  status (): LeaveStatus
}

/** What the migration actor answers with (the node's migrator). */
export interface MigrationActorDeps {
  readonly port: RemotingPort
  readonly placement: OwnerView
  readonly log: { debug (obj: object, msg: string): void }
  /** Moves `type/key` from this node to `to` (a claim of its new owner). */
  readonly move: (type: string, key: string, to: string, trigger: MoveTrigger) => Promise<MoveResult>
  /** Takes `type/key` here for an admin (pinned). */
  readonly migrateHere: (type: string, key: string) => Promise<MoveResult>
  /** `type/key` was adopted here (its placement is looked at again). */
  readonly adopted: (type: string, key: string) => void
  /** An admin asked this node to leave (absent: refused). */
  readonly leave?: (mode: LeaveMode) => LeaveStatus
  /** Where this node's leave stands (undefined: it is not leaving). */
  readonly leaving?: () => LeaveStatus | undefined
}

/**
 * The system actor other nodes' migrators talk to (MIGRATION_PATH): `adopt` (an old owner hands
 * an entity over), `claim` (a new owner asks for one), `migrate` (an admin moves one here) and
 * `leave` (an admin asks this node to drain or decommission). Every message is checked first; the
 * long ones run beside the actor, which goes on taking messages.
 */
export function migrationActor (deps: MigrationActorDeps): Behavior<MigrationMsg, undefined> {
  return {
    init: () => undefined,
    receive: async (_state, sent, ctx) => {
      const msg = checkMigrationMsg(sent)
      switch (msg.type) {
        case 'adopt':
          adopt(deps, msg, ctx)
          return undefined
        case 'claim':
          // not awaited: the actor goes on answering (a claim waits for the entity's work); the
          // outcome, failure included, goes to the asker
          void deps.move(msg.entityType, msg.key, msg.to, msg.trigger ?? 'claim').then((r) => { ctx.reply(msg.replyTo, r) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return undefined
        case 'migrate':
          // likewise: the answer, failure included, goes to the asker
          void deps.migrateHere(msg.entityType, msg.key).then((r) => { ctx.reply(msg.replyTo, r) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return undefined
        case 'leave':
          if (deps.leave === undefined) {
            ctx.fail(msg.replyTo, new MoveRefusedError('this node', 'it does not leave on request'))
          } else if (msg.follow === true) {
            const status = deps.leaving?.()
            if (status === undefined) ctx.fail(msg.replyTo, new NotLeavingError(deps.port.node))
            else ctx.reply(msg.replyTo, status)
          } else {
            ctx.reply(msg.replyTo, deps.leave(msg.mode))
          }
          return undefined
      }
    }
  }
}

/** An old owner hands an entity over: only a node that may own it takes it (not one draining, nor
 * one without the role); the old owner then lets its messages go on as placement says. */
function adopt (deps: MigrationActorDeps, msg: Extract<MigrationMsg, { type: 'adopt' }>, ctx: ActorContext<MigrationMsg>): void {
  const { port, placement, log } = deps
  const role = port.roleOf(msg.entityType)
  const entity = `${msg.entityType}/${clip(msg.key, 64)}`
  if (role !== undefined && !placement.holds(port.node, role)) {
    ctx.fail(msg.replyTo, new MoveRefusedError(entity, `this node does not take ${role} entities now (it lacks the role, or it is draining)`))
    return
  }
  log.debug({ entity, from: msg.replyTo.node, seq: msg.handOff.seq, buffered: msg.handOff.buffered.length }, `adopting ${entity} from ${msg.replyTo.node}`)
  // not awaited: the actor goes on taking hand-overs while this one takes its journal (a
  // fence round on its replicas); one at a time, the moves of a drain or a rebalance to
  // this node would wait for each other, and each entity's pause would grow with its
  // place in the line. What must come in order (the activation, the buffered messages)
  // happens before adopt's first await. The outcome, failure included, goes to the asker.
  const arrived = performance.now()
  const arrivedAt = Date.now()
  void port.adopt(msg.entityType, msg.key, msg.handOff).then((result) => {
    if (result !== 'ok') {
      ctx.fail(msg.replyTo, result)
      return
    }
    // the pause: the old owner's part, the hop (read off the two wall clocks: never below
    // 0; the old owner caps it by the whole round trip) and this node's part until the
    // entity runs with the messages that waited delivered
    const paused = msg.paused
    ctx.reply(msg.replyTo, paused === undefined ? 'ok' : { pauseMs: paused.ms + Math.max(0, arrivedAt - paused.at) + (performance.now() - arrived) })
    deps.adopted(msg.entityType, msg.key)
  }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
}

/** Starts the migration actor on `system` for `migrator` (the node's Migrator). */
export function spawnMigrationActor (system: ActorSystem, migrator: { behavior (handle?: LeaveHandle): Behavior<MigrationMsg, undefined> }, leave?: LeaveHandle): void {
  system.spawn(migrator.behavior(leave), { name: MIGRATION_PATH.slice(1), kind: 'migration', mailbox: 65_536 })
}
