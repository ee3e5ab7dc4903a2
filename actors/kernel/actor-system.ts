import { ActorCell } from './actor-cell.ts'
import { DEFAULT_MAILBOX_CAPACITY } from './constants.ts'
import { ActorSystemTerminatedError, ActorStoppedError } from './errors.ts'
import { describe } from '../../protocols/index.ts'
import { EntityHost } from './entity-host.ts'
import { silentLogger } from './logger.ts'
import { PendingAsks } from './pending-asks.ts'
import { SystemStats } from './system-stats.ts'
import { ActorRef } from './actor-ref.ts'
import { MessageRef } from './message-ref.ts'
import type { ActorInfo } from './actor-cell.ts'
import type { Behavior, SpawnOptions, SupervisionFlags } from './behavior.ts'
import type { EntityInfo } from './entity-table.ts'
import type { EntityRef } from './entity-ref.ts'
import type { EntityType } from './entity-type.ts'
import type { EntityTypeKey } from './entity-type-key.ts'
import type { SupervisorIntensityError } from './errors.ts'
import type { Journal } from './journal.ts'
import type { Kernel } from './kernel.ts'
import type { Logger } from './logger.ts'
import type { MessageTrace } from './message-trace.ts'
import type { NodeRole } from './node-role.ts'
import type { Refs } from './refs.ts'
import { isReplyTo } from './reply-to.ts'
import type { ReplyTo } from './reply-to.ts'
import type { ActorAddress } from './actor-ref.ts'
import type { AskObserver, DeliveryResult } from './pending-asks.ts'
import type { Remoting, RemotingPort, ReplyOutcome } from './remoting.ts'

export interface ActorSystemOptions {
  /** This node's id; reply addresses and actor addresses carry it. @default 'local' */
  node?: string
  /** @default silent */
  logger?: Logger
  /** Where entities journal their events (needed before registering an entity type). */
  journal?: Journal
  /** Check that every entity message, event and state is plain data (msgpackr round-trips it),
   * and throw NotSerializableError naming the field otherwise. Tests turn it on. @default false */
  strictSerialization?: boolean
  /** Default mailbox capacity. @default 1024 */
  mailboxCapacity?: number
  /** How the root supervises the actors spawned with `system.spawn` (scope is always 'child':
   * one top-level actor giving up never stops the others). */
  supervision?: Omit<SupervisionFlags, 'scope'>
  /** An actor under the root exceeded the restart intensity and was stopped for good. */
  onEscalation?: (error: SupervisorIntensityError) => void
  /** Called when an ask ends, with its duration in ms (for a latency histogram). */
  onAskSettled?: AskObserver
  /** Keeps each message in the trace it was sent in (node/tracing). @default none: tracing off */
  trace?: MessageTrace
}

/**
 * The actors of one node: a supervision tree under a root, plus the node's entities. Create one
 * per node; `terminate()` stops everything, children before parents, right to left.
 */
export class ActorSystem implements Refs {
  readonly node: string
  readonly stats = new SystemStats()
  readonly log: Logger
  readonly #asks: PendingAsks
  readonly #root: ActorCell<unknown, undefined>
  readonly #entities: EntityHost
  #terminating: Promise<void> | undefined
  #remoting: Remoting | undefined

  constructor (options: ActorSystemOptions = {}) {
    this.node = options.node ?? 'local'
    this.log = options.logger ?? silentLogger
    const capacity = options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`mailboxCapacity must be a positive integer, got ${capacity}`)
    this.#asks = new PendingAsks(this.node, this.stats, options.onAskSettled)
    const onEscalation = options.onEscalation
    const kernel: Kernel = {
      node: this.node,
      refs: this,
      asks: this.#asks,
      stats: this.stats,
      log: this.log,
      mailboxCapacity: capacity,
      trace: options.trace,
      reply: (to, outcome) => { this.#reply(to, outcome) },
      escalated: (error) => { onEscalation?.(error) }
    }
    this.#root = ActorCell.root(kernel, { ...options.supervision, scope: 'child' })
    const entitiesCell = this.#root.spawnChild<never, undefined>(
      { receive: (s) => s }, { name: 'entities', restart: 'permanent', kind: 'entity-host' })
    this.#entities = new EntityHost(kernel, entitiesCell, {
      ...(options.journal !== undefined && { journal: options.journal }),
      strict: options.strictSerialization ?? false,
      remoting: () => this.#remoting
    })
  }

  /**
   * Joins the system to the mesh: from now on entities live where `remoting.ownerOf` says, and
   * replies and messages for other nodes go through it. Returns the port through which the mesh
   * hands in what arrives for this node.
   */
  attachRemoting (remoting: Remoting): RemotingPort {
    this.#remoting = remoting
    const entities = this.#entities
    return {
      node: this.node,
      deliverToEntity: (type, key, msg) => this.#terminating !== undefined ? 'stopped' : entities.deliverHere(type, key, msg),
      deliverToActor: (path, msg, fromPeer) => this.#deliverToActor(path, msg, fromPeer === true),
      settle: (askId, outcome) => { this.#settle(askId, outcome) },
      askSentTo: (askId, node, entity) => { this.#asks.sentTo(askId, node, entity) },
      failAsksSentTo: (node, error, actorsOnly) => this.#asks.rejectSentTo(node, error, actorsOnly),
      roleOf: (type) => entities.roleOf(type),
      relinquish: (keep) => entities.relinquish(keep),
      relinquished: (type, key, maxMs) => entities.relinquished(type, key, maxMs),
      release: (type, key, opts) => entities.release(type, key, opts),
      finishRelease: (type, key, to, unsent) => { entities.finishRelease(type, key, to, unsent) },
      adopt: (type, key, handOff) => this.#terminating !== undefined ? Promise.resolve(new ActorSystemTerminatedError()) : entities.adopt(type, key, handOff),
      hosts: (type, key) => entities.hosts(type, key),
      activeEntities: () => entities.activeIds(),
      viewChanged: () => { entities.viewChanged() },
      buffered: () => entities.buffered()
    }
  }

  /** Starts a top-level actor under the root supervisor. */
  spawn<M, S> (behavior: Behavior<M, S>, options: SpawnOptions = {}): ActorRef<M> {
    if (this.#terminating !== undefined) throw new ActorSystemTerminatedError()
    return this.#root.spawnChild(behavior, options).ref
  }

  /** Stops an actor (and its children) for good; resolves when it has stopped. */
  stop (ref: ActorRef<never>): Promise<void> {
    const target = MessageRef.targetOf(ref)
    if (!(target instanceof ActorCell)) return Promise.reject(new TypeError(`${String(ref)} is not an actor of this system`))
    return target.finalize({ type: 'shutdown' })
  }

  registerEntity<M, S, E, V> (type: EntityType<M, S, E, V>): void {
    if (this.#terminating !== undefined) throw new ActorSystemTerminatedError()
    this.#entities.register(type)
  }

  /** The entity `type/key` (activated on its first message), by its typed key (the EntityType is
   * one). Throws UnknownEntityTypeError or InvalidNameError. */
  entity<M> (type: EntityTypeKey<M>, key: string): EntityRef<M> {
    return this.#entities.ref<M>(type.type, key)
  }

  entityTypes (): Array<{ type: string, role: NodeRole }> { return this.#entities.types() }

  /** The state `type/key` has after `events` (seq 1 on), by its registered type's applyEvent. */
  foldState (type: string, key: string, events: ReadonlyArray<{ readonly seq: number, readonly event: unknown }>): unknown {
    return this.#entities.foldState(type, key, events)
  }

  entities (type?: string): EntityInfo[] { return this.#entities.list(type) }

  /** How many live actors there are (the root excluded), how many entities are active, and the
   * messages waiting in every mailbox: what a member record says, counted without listing them
   * (a node holding 10,000 rooms builds its record every few hundred ms). */
  load (): { actors: number, entities: number, mailbox: number } {
    let actors = 0
    let mailbox = 0
    const walk = (cell: ActorCell<any, any>): void => {
      for (const child of cell.children.list()) {
        actors++
        mailbox += child.mailboxLength
        walk(child)
      }
    }
    walk(this.#root)
    return { actors, entities: this.#entities.activeCount, mailbox }
  }

  /** Every live actor, depth first (the root excluded). */
  actors (): ActorInfo[] {
    const out: ActorInfo[] = []
    const walk = (cell: ActorCell<any, any>): void => {
      for (const child of cell.children.list()) {
        out.push(child.info())
        walk(child)
      }
    }
    walk(this.#root)
    return out
  }

  /** The live actor at `path` (e.g. `/rooms/general`), or undefined. */
  lookup<M = unknown> (path: string): ActorRef<M> | undefined {
    if (!path.startsWith('/')) return undefined
    let cell: ActorCell<any, any> | undefined = this.#root
    for (const name of path.slice(1).split('/')) {
      cell = cell.children.named(name)
      if (cell === undefined) return undefined
    }
    return cell === this.#root ? undefined : cell.ref as ActorRef<M>
  }

  /**
   * A ref to the actor at `address`, on this node or another (through the mesh). A local path
   * with no actor behind it gives a ref whose messages are dead letters.
   */
  actorAt<M> (address: ActorAddress): ActorRef<M> {
    if (address.node === this.node) {
      return this.lookup<M>(address.path) ?? new ActorRef<M>(this.node, { path: address.path, capacity: 0, deliver: () => 'stopped' }, this.#asks, this.stats)
    }
    const target = {
      path: address.path,
      capacity: 0,
      deliver: (msg: M): DeliveryResult => this.#remoting?.toActor(address, msg) ?? 'stopped'
    }
    return new ActorRef<M>(address.node, target, this.#asks, this.stats)
  }

  /** For a node's stop: waits (at most `timeoutMs`) for the entities' work in progress to end, then
   * interrupts what is left and waits `graceMs` more. See BusyWatch.settle. */
  settleEntities (timeoutMs: number, graceMs: number): Promise<{ interrupted: number, busy: number }> {
    return this.#entities.settle(timeoutMs, graceMs)
  }

  /** For a node's stop, while the mesh still runs: every entity stops, its writes durable, and
   * none activates again (messages for entities that moved away are still passed on). Resolves
   * with how many had not stopped after `timeoutMs`. See EntityHost.stopAll. */
  stopEntities (timeoutMs: number): Promise<number> {
    return this.#entities.stopAll(timeoutMs)
  }

  get pendingAsks (): number { return this.#asks.size }

  get terminated (): boolean { return this.#terminating !== undefined }

  /** Stops every actor (each finishes its in-flight message; entities finish their writes),
   * then rejects the asks still waiting. Idempotent. */
  terminate (): Promise<void> {
    this.#terminating ??= (async () => {
      this.#entities.close()
      await this.#root.children.stopAll()
      this.#asks.rejectAll(new ActorSystemTerminatedError())
    })()
    return this.#terminating
  }

  #deliverToActor (path: string, msg: unknown, fromPeer: boolean): DeliveryResult {
    const ref = this.lookup(path)
    if (ref === undefined) return 'stopped'
    const target = MessageRef.targetOf(ref)
    if (fromPeer && target instanceof ActorCell) {
      const refused = target.refusePeer(msg)
      if (refused !== undefined) return refused
    }
    return target.deliver(msg)
  }

  #reply (to: ReplyTo<unknown>, outcome: ReplyOutcome): void {
    if (!isReplyTo(to)) {
      // a request's reply address is data (from another node, or a caller's bug): one that is not
      // an address is a dead letter; a throw here would surface in the handler, often inside a
      // promise callback (an unhandled rejection) or as a crash of the actor that answers
      this.stats.deadLetters++
      this.log.debug({ to: typeof to }, 'reply to a malformed address dropped')
      return
    }
    if (to.node !== this.node) {
      if (this.#remoting !== undefined) {
        this.#remoting.reply(to, outcome)
        return
      }
      this.stats.deadLetters++
      this.log.debug({ to }, `reply for node ${to.node} dropped: no route to it`)
      return
    }
    this.#settle(to.askId, outcome)
  }

  /** Ends an ask of this node. */
  #settle (askId: string, outcome: ReplyOutcome): void {
    if ('error' in outcome) {
      const error = outcome.error
      if (!this.#asks.rejectId(askId, error) && !(error instanceof ActorStoppedError)) {
        this.log.debug({ askId }, `late error reply dropped: ${describe(error)}`)
      }
    } else {
      this.#asks.resolveId(askId, outcome.value)
    }
  }
}
