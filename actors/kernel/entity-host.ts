import { DEFAULT_ENTITY_IDLE_MS } from './constants.ts'
import { ActorStoppedError, InvalidMessageError, MailboxFullError, PartialViewError, isSuperseded } from './errors.ts'
import { describe } from '../../protocols/index.ts'
import { BusyWatch } from './busy-watch.ts'
import { isStopping } from './cell-status.ts'
import { EntityActivation, entityBehavior } from './entity-activation.ts'
import { EntityClaims } from './entity-claims.ts'
import { EntityForwards } from './entity-forwards.ts'
import { EntityRef } from './entity-ref.ts'
import { EntityRegistry } from './entity-registry.ts'
import { EntityTable, typeOf } from './entity-table.ts'
import { LiveMove } from './live-move.ts'
import { checkPathSegment } from './path-segment.ts'
import { assertPlainData } from './plain-data.ts'
import { replyToOf } from './reply-to.ts'
import { settledWithin } from './settled-within.ts'
import { SupersededHolds } from './superseded-holds.ts'
import type { ActorCell, CellHooks } from './actor-cell.ts'
import type { ExitReason } from './behavior.ts'
import type { Captured } from './entity-activation.ts'
import type { ClaimsHost } from './entity-claims.ts'
import type { RegisteredType } from './entity-registry.ts'
import type { EntityInfo } from './entity-table.ts'
import type { EntityType } from './entity-type.ts'
import type { HandOff, Release } from './hand-off.ts'
import type { Journal } from './journal.ts'
import type { Kernel } from './kernel.ts'
import type { LiveMoveHost } from './live-move.ts'
import type { NodeRole } from './node-role.ts'
import type { DeliveryResult } from './pending-asks.ts'
import type { Remoting } from './remoting.ts'

export interface EntityHostOptions {
  readonly journal?: Journal
  readonly strict: boolean
  /** The mesh, once attached: entities owned by other nodes are reached through it, and its
   * claim hook (Remoting.claim) is asked before an entity is activated here from its journal. */
  readonly remoting: () => Remoting | undefined
}

/**
 * The entities of one node: where each message for an entity goes (here, to its owner, to where
 * it moved, or to wait for a move), and each activation's start and end. Its parts are nouns of
 * their own: the registered types (entity-registry.ts), the activation bookkeeping
 * (entity-table.ts), claims (entity-claims.ts), the live moves (live-move.ts), forwards of entities
 * that moved away (entity-forwards.ts), entities lost to a newer owner (superseded-holds.ts), and
 * the wait for busy work at a node's stop (busy-watch.ts).
 */
export class EntityHost {
  readonly #kernel: Kernel
  readonly #options: EntityHostOptions
  readonly #registry: EntityRegistry
  readonly #table = new EntityTable()
  readonly #forwards: EntityForwards
  readonly #superseded = new SupersededHolds()
  readonly #busy: BusyWatch
  readonly #claims: EntityClaims
  readonly #moves: LiveMove
  #closed = false

  constructor (kernel: Kernel, parent: ActorCell<never, undefined>, options: EntityHostOptions) {
    this.#kernel = kernel
    this.#options = options
    this.#registry = new EntityRegistry(parent, options.journal !== undefined)
    this.#forwards = new EntityForwards(kernel.node, this.#registry, options.remoting)
    this.#busy = new BusyWatch(() => this.#table.busy())
    const host = this.#hostPort()
    this.#claims = new EntityClaims(this.#table, options.remoting, host)
    this.#moves = new LiveMove({ kernel, registry: this.#registry, table: this.#table, forwards: this.#forwards, superseded: this.#superseded, host })
  }

  register<M, S, E, V> (def: EntityType<M, S, E, V>): void { this.#registry.register(def) }

  types (): Array<{ type: string, role: NodeRole }> { return this.#registry.types() }

  /** The role entities of `type` need, or undefined for a type not registered here. */
  roleOf (type: string): NodeRole | undefined { return this.#registry.roleOf(type) }

  /** See EntityRegistry.foldState. */
  foldState (type: string, key: string, events: ReadonlyArray<{ readonly seq: number, readonly event: unknown }>): unknown {
    return this.#registry.foldState(type, key, events)
  }

  ref<M> (type: string, key: string): EntityRef<M> {
    const registered = this.#registry.get(type)
    checkPathSegment('entity key', key)
    const capacity = registered.def.mailbox ?? this.#kernel.mailboxCapacity
    return new EntityRef<M>(type, key, (msg) => this.#route(registered, key, msg), capacity,
      this.#kernel.asks, this.#kernel.stats)
  }

  /**
   * Delivers here, whoever the owner is (a message the mesh brought in for an entity this node
   * hosts). Bad type or key, and a message its type's check refuses, come back as an Error result,
   * never a throw: they came off the wire.
   */
  deliverHere (type: string, key: string, msg: unknown): DeliveryResult {
    const registered = this.#registry.find(type)
    if (registered === undefined) return this.#registry.unknown(type)
    try {
      checkPathSegment('entity key', key)
      return this.#deliver(registered, key, msg, true)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }

  /**
   * Resolves once entity `type/key` has no activation here that is leaving (its last writes are on
   * disk), or after `maxMs`. An entity active here and not leaving resolves at once: it is still
   * this node's.
   */
  async relinquished (type: string, key: string, maxMs: number): Promise<void> {
    const activation = this.#table.leavingOf(`${type}/${key}`)
    if (activation !== undefined) await settledWithin(activation.terminated, maxMs)
  }

  /** For a node's stop: see BusyWatch.settle. */
  settle (timeoutMs: number, graceMs: number): Promise<{ interrupted: number, busy: number }> {
    return this.#busy.settle(timeoutMs, graceMs)
  }

  /**
   * Relinquishes every active entity that `keep` says is no longer this node's (its owner changed):
   * each finishes what is in its mailbox and its writes, then stops even if it would rather stay
   * (e.g. a room with subscribers), but not while it is busy (an agent finishes its answer first);
   * its next message goes to the new owner. Returns how many.
   */
  relinquish (keep: (type: string, key: string) => boolean): number {
    let count = 0
    for (const activation of this.#table.serving()) {
      if (activation.leaving || keep(typeOf(activation.id), activation.key)) continue
      this.#table.leave(activation)
      count++
    }
    return count
  }

  /** A live move's first half, on the old owner: see LiveMove.release. */
  release (type: string, key: string, opts: { readonly busyMs: number, readonly graceMs: number }): Promise<Release> {
    return this.#moves.release(type, key, opts)
  }

  /** The end of a release: see LiveMove.finishRelease. */
  finishRelease (type: string, key: string, to: string | undefined, unsent: readonly unknown[] = []): void {
    this.#moves.finishRelease(type, key, to, unsent)
  }

  /** A live move's second half, on the new owner: see LiveMove.adopt. */
  adopt (type: string, key: string, handOff: HandOff): Promise<'ok' | Error> {
    return this.#moves.adopt(type, key, handOff)
  }

  /** Placement's view changed: entities lost to a newer owner, and forwards set while this node
   * still owned their entity, follow the new view. */
  viewChanged (): void {
    this.#superseded.clear()
    this.#forwards.viewChanged()
  }

  /** Whether messages for `type/key` are taken here now: see EntityTable.hosts. */
  hosts (type: string, key: string): boolean { return this.#table.hosts(`${type}/${key}`) }

  /** The active entities here, as `[type, key]` (what a drain or a rebalance looks at). */
  activeIds (): Array<[string, string]> { return this.#table.activeIds() }

  /** Entities whose messages wait here for a move, and how many messages. */
  buffered (): { entities: number, messages: number } { return this.#table.buffered() }

  list (type?: string): EntityInfo[] { return this.#table.list(type) }

  get activeCount (): number { return this.#table.activeCount }

  /** No new activations; the system's stop then stops the active ones. */
  close (): void { this.#closed = true }

  /**
   * For a node's stop, while the mesh still runs (the replicas its entities write to are other
   * nodes'): no entity activates here from now on (messages for entities that moved away are still
   * passed on), and every activation stops, finishing its mailbox, its writes durable. Resolves
   * with how many had not stopped, or whose writes had not landed, after `timeoutMs`.
   */
  async stopAll (timeoutMs: number): Promise<number> {
    this.#closed = true
    const all = this.#table.all()
    for (const activation of all) {
      if (isStopping(activation.cell.status)) continue
      activation.leave()
      activation.cell.requestIdleStop()
    }
    let left = all.length
    const stopped = Promise.all(all.map(async (a) => {
      await a.terminated
      await a.writes
      left--
    }))
    await settledWithin(stopped, timeoutMs)
    return left
  }

  // ---- where a message goes -----------------------------------------------------------------

  #route (registered: RegisteredType, key: string, msg: unknown): DeliveryResult {
    const remoting = this.#options.remoting()
    const { def } = registered
    if (remoting === undefined || this.hosts(def.type, key)) return this.#deliver(registered, key, msg)
    const owner = remoting.ownerOf(def.type, def.role, key)
    if (owner instanceof Error) return owner
    if (owner === this.#kernel.node) return this.#deliver(registered, key, msg)
    if (this.#options.strict) assertPlainData(msg, `message to ${def.type}/${key}`)
    return remoting.toEntity(owner, def.type, key, msg)
  }

  /** `fromPeer`: another node sent it, so its type's check runs whatever the mode. */
  #deliver (registered: RegisteredType, key: string, msg: unknown, fromPeer = false): DeliveryResult {
    const id = `${registered.def.type}/${key}`
    // (tagged here, not only at the mailbox: a message may wait for a move or a claim first)
    this.#kernel.trace?.tag(msg)
    if (this.#closed) {
      // a node that stops still passes on what comes for an entity that moved away from it
      const forwarded = this.#forwards.pass(registered, key, id, msg)
      if (forwarded !== undefined) return forwarded
      this.#kernel.stats.deadLetters++
      return 'stopped'
    }
    if (this.#options.strict) assertPlainData(msg, `message to ${id}`)
    if (fromPeer || this.#options.strict) {
      const refused = this.#check(registered.def, id, msg)
      if (refused !== undefined) return refused
    }
    const waiting = this.#table.waitingFor(id)
    if (waiting !== undefined) return this.#wait(registered, waiting.buffer, msg)
    if (this.#table.live(id) === undefined) {
      const notHere = this.#notActive(registered, key, id, msg, fromPeer)
      if (notHere !== undefined) return notHere
    }
    return this.#deliverNow(registered, key, id, msg)
  }

  /** A message for `id`, which has no activation here: passed on to where it moved, refused, or
   * waiting for a claim; undefined: activate it here now. */
  #notActive (registered: RegisteredType, key: string, id: string, msg: unknown, fromPeer: boolean): DeliveryResult | undefined {
    const forwarded = this.#forwards.pass(registered, key, id, msg)
    if (forwarded !== undefined) return forwarded
    const refused = this.#superseded.refuse(id, fromPeer)
    if (refused !== undefined) return refused
    // a node whose view is partial takes nothing new: its placement may name it the owner of what
    // the other side of a cut owns (its replicas would be fenced from under their owner)
    if (this.#options.remoting()?.mayActivate?.() === false) return new PartialViewError(id)
    return this.#claims.first(registered, key, id, msg, fromPeer)
  }

  /** Delivers to the activation here, starting one (from the journal) if there is none. */
  #deliverNow (registered: RegisteredType, key: string, id: string, msg: unknown): DeliveryResult {
    const activation = this.#table.live(id) ?? this.#activate(registered, key, id, this.#table.current(id))
    return activation.cell.deliver(msg)
  }

  /** A message for an entity that is moving: it waits, up to the entity's mailbox capacity. */
  #wait (registered: RegisteredType, buffer: unknown[], msg: unknown): DeliveryResult {
    if (buffer.length >= (registered.def.mailbox ?? this.#kernel.mailboxCapacity)) return 'full'
    buffer.push(msg)
    return 'ok'
  }

  /**
   * Runs the type's check (EntityType.check) on a message before any activation sees it: the refusal
   * as a result (an ask rejects with it, the mesh answers the sender with it), or undefined.
   */
  #check (def: EntityType<any, any, any, any>, id: string, msg: unknown): Error | undefined {
    if (def.check === undefined) return undefined
    try {
      def.check(msg)
      return undefined
    } catch (err) {
      this.#kernel.stats.refusals++
      this.#kernel.log.debug({ entity: id, err }, `${id} refused a message: ${describe(err)}`)
      return err instanceof Error ? err : new InvalidMessageError(`message to ${id}: ${describe(err)}`)
    }
  }

  /** A message taken earlier ('ok' was answered) that could not be delivered after all: its ask,
   * if any, fails with the reason. */
  #settleDelivery (msg: unknown, id: string, result: DeliveryResult): void {
    if (result === 'ok') return
    const replyTo = replyToOf(msg)
    if (replyTo === undefined) return
    const capacity = this.#registry.find(typeOf(id))?.def.mailbox ?? this.#kernel.mailboxCapacity
    const error = result === 'full' ? new MailboxFullError(id, capacity) : result === 'stopped' ? new ActorStoppedError(id) : result
    this.#kernel.reply(replyTo, { error })
  }

  /** What claims and live moves reach of the host. */
  #hostPort (): ClaimsHost & LiveMoveHost {
    const host = this
    return {
      get closed () { return host.#closed },
      deliverNow: (registered, key, id, msg) => this.#deliverNow(registered, key, id, msg),
      settleDelivery: (msg, id, result) => { this.#settleDelivery(msg, id, result) },
      route: (registered, key, msg) => this.#route(registered, key, msg),
      check: (def, id, msg) => this.#check(def, id, msg),
      activate: (registered, key, id, old, moved) => this.#activate(registered, key, id, old, moved)
    }
  }

  // ---- an activation's start and end --------------------------------------------------------

  #activate<M> (registered: RegisteredType, key: string, id: string, old: EntityActivation<M> | undefined,
    moved?: { readonly warm: Captured, readonly volatile?: unknown }): EntityActivation<M> {
    const { def, region } = registered
    const { journal, strict } = this.#options
    // the next activation here starts once the last one stopped and its writes landed (a live move
    // stops an activation with its writes still in flight)
    const activation = new EntityActivation<M>(id, key, old === undefined ? Promise.resolve() : old.terminated.then(() => old.writes))
    activation.volatile = moved !== undefined && 'volatile' in moved ? moved.volatile : def.createVolatile?.(key)
    activation.warm = moved?.warm
    this.#table.activated(id, activation)
    const deps = { journal: journal as Journal, strict, log: this.#kernel.log, refs: this.#kernel.refs, handled: this.#busy.handled }
    activation.cell = region.spawnChild(entityBehavior(def, activation, this.#selfRef(registered, key, id, activation), deps), {
      name: key,
      restart: 'transient',
      kind: def.type,
      idleTimeout: def.idleTimeout ?? DEFAULT_ENTITY_IDLE_MS,
      ...(def.mailbox !== undefined && { mailbox: def.mailbox })
    }, this.#hooks(registered, key, id, activation)) as ActorCell<M, unknown>
    this.#kernel.stats.entityActivations++
    return activation
  }

  /** What an entity tells itself belongs to this activation while it lives (the end of its own
   * generation, even while it leaves); after that, to wherever the entity lives then. */
  #selfRef<M> (registered: RegisteredType, key: string, id: string, activation: EntityActivation<M>): EntityRef<M> {
    const { def } = registered
    const strict = this.#options.strict
    return new EntityRef<M>(def.type, key, (msg) => {
      if (isStopping(activation.cell.status)) return this.#route(registered, key, msg)
      if (strict) {
        assertPlainData(msg, `message to ${id}`)
        const refused = this.#check(def, id, msg)
        if (refused !== undefined) return refused
      }
      return activation.cell.deliver(msg)
    }, def.mailbox ?? this.#kernel.mailboxCapacity, this.#kernel.asks, this.#kernel.stats)
  }

  #hooks<M> (registered: RegisteredType, key: string, id: string, activation: EntityActivation<M>): CellHooks {
    return {
      onIdle: () => {
        // leaving, it stops once it is not busy; otherwise once its type lets it passivate
        if (activation.leaving ? activation.busy() : !activation.canPassivate()) return false
        this.#table.passivated(id, activation)
        return true
      },
      onTerminated: (reason) => { this.#terminated(registered, key, id, activation, reason) }
    }
  }

  #terminated<M> ({ def }: RegisteredType, key: string, id: string, activation: EntityActivation<M>, reason: ExitReason): void {
    const stats = this.#kernel.stats
    this.#table.terminated(id, activation)
    if (reason.type === 'idle') stats.entityPassivations++
    if (reason.type === 'failed' && isSuperseded(reason.error) && this.#table.current(id) === undefined) {
      stats.entitiesSuperseded++
      this.#superseded.took(id)
      try {
        def.superseded?.(activation.volatile, key)
      } catch (err) {
        this.#kernel.log.warn({ entity: id, err }, `${id}: its superseded hook threw: ${describe(err)}`)
      }
    }
    activation.markTerminated()
    this.#busy.handled()
  }
}
