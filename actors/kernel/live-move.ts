import { TAKE_GIVES_WAY_MS } from './constants.ts'
import { INTERRUPT } from './entity-activation.ts'
import { ActorStoppedError, EntityAlreadyActiveError, isSuperseded } from './errors.ts'
import { describe } from '../../protocols/index.ts'
import { isStopping } from './cell-status.ts'
import { checkPathSegment } from './path-segment.ts'
import { assertPlainData } from './plain-data.ts'
import { settledWithin } from './settled-within.ts'
import type { Captured, EntityActivation } from './entity-activation.ts'
import type { EntityForwards } from './entity-forwards.ts'
import type { EntityRegistry, RegisteredType } from './entity-registry.ts'
import type { EntityTable } from './entity-table.ts'
import type { EntityType } from './entity-type.ts'
import type { HandOff, Release } from './hand-off.ts'
import type { Kernel } from './kernel.ts'
import type { DeliveryResult } from './pending-asks.ts'
import type { SupersededHolds } from './superseded-holds.ts'

/** What a live move needs of the entity host. */
export interface LiveMoveHost {
  /** The node stops: nothing is adopted any more. */
  readonly closed: boolean
  /** Routes a message as any message is routed (to the owner placement names). */
  route (registered: RegisteredType, key: string, msg: unknown): DeliveryResult
  /** A message taken earlier ('ok' was answered) that could not be delivered after all. */
  settleDelivery (msg: unknown, id: string, result: DeliveryResult): void
  /** The type's check on a message (the refusal, or undefined). */
  check (def: EntityType<any, any, any, any>, id: string, msg: unknown): Error | undefined
  /** Starts an activation of `id` from the hand-off's state, once `old` (if any) has stopped. */
  activate (registered: RegisteredType, key: string, id: string, old: EntityActivation<any> | undefined,
    moved: { readonly warm: Captured, readonly volatile?: unknown }): EntityActivation<any>
}

/** The parts of the entity host a live move works on. */
export interface LiveMoveParts {
  readonly kernel: Kernel
  readonly registry: EntityRegistry
  readonly table: EntityTable
  readonly forwards: EntityForwards
  readonly superseded: SupersededHolds
  readonly host: LiveMoveHost
}

/**
 * The kernel's side of a live move (hand-off.ts): on the old owner `release` stops the entity and
 * makes its hand-off, `finishRelease` passes on what waited; on the new owner `adopt` activates it
 * from the hand-off. The mesh carries the hand-off between them (node/migration).
 */
export class LiveMove {
  readonly #parts: LiveMoveParts

  constructor (parts: LiveMoveParts) {
    this.#parts = parts
  }

  /**
   * The first half of a live move: `type/key` stops taking messages (they wait here), finishes
   * the one in progress and what its mailbox holds, waits for its work in progress to end (at most
   * `busyMs`, then it is interrupted and gets `graceMs` more) and for its writes to be durable,
   * and stops. Resolves with its hand-off; its messages keep waiting here until `finishRelease`.
   */
  async release (type: string, key: string, opts: { readonly busyMs: number, readonly graceMs: number }): Promise<Release> {
    const { registry, table } = this.#parts
    const id = `${type}/${key}`
    const registered = registry.find(type)
    const activation = table.live(id)
    if (registered === undefined || activation === undefined || activation.leaving || table.isMoving(id)) return { outcome: 'not-active' }
    const moving = table.moving(id)
    activation.capture = true
    table.leave(activation)
    const why = await stopForMove(activation, opts)
    const captured = activation.captured
    if (why !== undefined || captured === undefined) {
      const untaken = why === undefined && activation.journal === undefined
      return {
        outcome: 'cold',
        why: why ?? (untaken ? 'it had not taken its journal yet' : 'its last writes did not all become durable'),
        waiting: moving.buffer.length,
        ...(untaken && { untaken })
      }
    }
    const volatile = this.#exportVolatile(registered, id, activation)
    return { outcome: 'released', handOff: { ...captured, volatile, buffered: moving.buffer.splice(0) } }
  }

  /** EntityType.exportVolatile's data, checked to be plain data; undefined when it is not (logged:
   * the new owner starts a fresh one). */
  #exportVolatile ({ def }: RegisteredType, id: string, activation: EntityActivation<any>): unknown {
    try {
      const volatile = def.exportVolatile?.(activation.volatile)
      if (volatile !== undefined) assertPlainData(volatile, `volatile state of ${id}`)
      return volatile
    } catch (err) {
      this.#parts.kernel.log.warn({ entity: id, err }, `${id}: its volatile state does not move (${describe(err)}); the new owner starts a fresh one`)
      return undefined
    }
  }

  /**
   * The end of a release: messages that arrived since go to `to` (the new owner), and so will
   * later ones for a while (FORWARD_MS, or until this node activates the entity again); with no
   * `to` (the hand-off failed) they are routed as any message is, and no forward stays. The mesh
   * calls it as soon as the hand-off is on its way (what follows it on the link reaches the new
   * owner after it), and again if the hand-off failed, with `unsent`: the messages of the
   * hand-off, which did not reach the new owner (they are routed the same way).
   */
  finishRelease (type: string, key: string, to: string | undefined, unsent: readonly unknown[] = []): void {
    const { registry, table, forwards, host } = this.#parts
    const id = `${type}/${key}`
    const moving = table.moved(id)
    const registered = registry.find(type)
    if (registered === undefined) return
    forwards.moved(registered, key, id, to)
    for (const msg of [...unsent, ...moving?.buffer ?? []]) host.settleDelivery(msg, id, host.route(registered, key, msg))
  }

  /**
   * The second half of a live move, on the new owner: activates `type/key` from its hand-off (its
   * journal goes on from the old owner's hold when the hand-off carries one and the journal takes
   * it; otherwise it is taken with a new epoch, which fences the old owner), then delivers the
   * messages that waited on the old owner, then those that waited here. Resolves once the
   * activation has taken its journal (or failed to: it then recovers from the journal as any
   * activation does). Refused (EntityAlreadyActiveError) when an activation of it is here.
   */
  async adopt (type: string, key: string, handOff: HandOff): Promise<'ok' | Error> {
    const { registry, table, forwards, superseded, host } = this.#parts
    const registered = registry.find(type)
    if (registered === undefined) return registry.unknown(type)
    const id = `${type}/${key}`
    try {
      checkPathSegment('entity key', key)
    } catch (err) {
      return err as Error
    }
    if (host.closed) return new ActorStoppedError(id)
    const existing = table.current(id)
    let early: readonly unknown[] = []
    if (existing !== undefined && !isStopping(existing.cell.status)) {
      const displaced = await this.#displace(registered, key, id, existing)
      if (displaced instanceof Error) return displaced
      early = displaced
    }
    if (table.isMoving(id)) return new EntityAlreadyActiveError(id, 'it is moving away from here')
    forwards.drop(id)
    superseded.release(id)
    const incoming = table.claimEnded(id)
    const volatile = this.#importVolatile(registered, key, id, handOff)
    const activation = host.activate(registered, key, id, existing, {
      warm: { state: handOff.state, seq: handOff.seq, snapshotSeq: handOff.snapshotSeq, ...(handOff.journal !== undefined && { journal: handOff.journal }) },
      ...(volatile !== undefined && { volatile })
    })
    activation.adoptedAt = Date.now()
    for (const msg of [...handOff.buffered, ...early, ...incoming?.buffer ?? []]) {
      const refused = host.check(registered.def, id, msg)
      host.settleDelivery(msg, id, refused ?? activation.cell.deliver(msg))
    }
    // a failed start recovers from the journal as any activation does: adopt is done either way
    await activation.cell.started.catch(() => undefined)
    return 'ok'
  }

  /**
   * An activation of `id` is here as its hand-off arrives. One still taking its journal (waiting
   * out the lease of the owner that now hands it off: views that disagreed for a moment sent its
   * messages here) holds nothing yet: it stops taking, and what waits in its mailbox is refused as
   * superseded and sent again, to the activation handed off; what arrives meanwhile is returned,
   * to go to that one. One that serves is not replaced (EntityAlreadyActiveError), unless its journal
   * hold is found stale: another activation took the entity since (heldByAnother).
   */
  async #displace (registered: RegisteredType, key: string, id: string, existing: EntityActivation<any>): Promise<readonly unknown[] | Error> {
    const { kernel, table, host } = this.#parts
    if (existing.leaving || table.isMoving(id)) return new EntityAlreadyActiveError(id, 'it is active here')
    if (!existing.taking) {
      // one that serves gives way only when its hold is found stale: another node took the entity
      // since (views that disagreed while a cluster formed), this one has not written since and so
      // not noticed, and placement now gives the entity back here (a hand-off from that node)
      if (!await heldByAnother(existing)) return new EntityAlreadyActiveError(id, 'it is active here')
      if (existing.leaving || table.isMoving(id) || table.current(id) !== existing) return new EntityAlreadyActiveError(id, 'it is active here')
      kernel.log.debug({ entity: id }, `${id}: a hand-off arrived for an activation here that another node had taken over; the hand-off takes its place`)
    } else kernel.log.debug({ entity: id }, `${id}: a hand-off arrived while it was still being taken here; the hand-off takes its place`)
    const meanwhile = table.moving(id)
    existing.leave()
    // (one that serves stops once its mailbox is empty, as a passivation: it holds nothing current)
    if (!existing.taking) existing.requestIdleStop()
    const stopped = await settledWithin(existing.terminated, TAKE_GIVES_WAY_MS)
    table.moved(id)
    if (!stopped || host.closed) {
      for (const msg of meanwhile.buffer) host.settleDelivery(msg, id, host.route(registered, key, msg))
      return new EntityAlreadyActiveError(id, `it was being taken here and did not stop within ${TAKE_GIVES_WAY_MS} ms`)
    }
    return meanwhile.buffer
  }

  /** The volatile state the hand-off carries, rebuilt by the type (undefined: start a fresh one). */
  #importVolatile ({ def }: RegisteredType, key: string, id: string, handOff: HandOff): unknown {
    if (handOff.volatile === undefined || def.importVolatile === undefined) return undefined
    try {
      return def.importVolatile(key, handOff.volatile, this.#parts.kernel.refs)
    } catch (err) {
      this.#parts.kernel.log.warn({ entity: id, err }, `${id}: the volatile state handed off is not valid (${describe(err)}); starting a fresh one`)
      return undefined
    }
  }
}

/** Whether an activation's journal hold is no longer the newest: its lease is not current and a
 * quorum of its replicas says another activation took the entity (its journal then fails, and the
 * activation stops itself as superseded). False where the journal cannot tell (no leases), or does
 * not within TAKE_GIVES_WAY_MS (the hand-off is then refused, as before). */
async function heldByAnother (a: EntityActivation<any>): Promise<boolean> {
  const journal = a.journal
  if (journal?.current === undefined || journal.confirm === undefined || journal.current()) return false
  const told = journal.confirm().then(() => false, (err: unknown) => isSuperseded(err))
  return await settledWithin(told, TAKE_GIVES_WAY_MS) && await told
}

/**
 * Waits for a released activation to stop: at most `busyMs`, then it is interrupted and gets
 * `graceMs` more; still running then, it is stopped without it (its writes may be lost to the
 * move: the new owner recovers from the journal). Returns why it did not stop cleanly, or undefined.
 */
async function stopForMove (activation: EntityActivation<any>, opts: { readonly busyMs: number, readonly graceMs: number }): Promise<string | undefined> {
  if (await settledWithin(activation.terminated, opts.busyMs)) return undefined
  activation.cell.deliver(INTERRUPT)
  if (await settledWithin(activation.terminated, opts.graceMs)) return undefined
  void activation.cell.finalize({ type: 'shutdown' })
  await settledWithin(activation.terminated, opts.graceMs)
  return `still busy ${opts.busyMs + opts.graceMs} ms after it was asked to move (interrupted after ${opts.busyMs} ms)`
}
