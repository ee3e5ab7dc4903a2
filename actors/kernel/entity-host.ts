import { DEFAULT_ENTITY_IDLE_MS, DEFAULT_ENTITY_INTENSITY, ENTITY_KEY_FORBIDDEN, ENTITY_KEY_MAX_LENGTH, ENTITY_TYPE_PATTERN, SUPERSEDED_HOLD_MS, SUPERSEDED_TRACKED_MAX, TAKE_GIVES_WAY_MS } from './constants.ts'
import { ActorStoppedError, EntityAlreadyActiveError, EntityConfigError, EntitySupersededError, EntityTypeTakenError, InvalidMessageError, InvalidNameError, MailboxFullError, PartialViewError, UnknownEntityTypeError, isSuperseded } from './errors.ts'
import { describe } from '../../protocols/index.ts'
import { EntityActivation, INTERRUPT, entityBehavior } from './entity-activation.ts'
import type { Captured } from './entity-activation.ts'
import { EntityRef } from './entity-ref.ts'
import { isNodeRole, NODE_ROLES } from './node-role.ts'
import { assertPlainData } from './plain-data.ts'
import { replyToOf } from './reply-to.ts'
import type { ActorCell, CellStatus } from './actor-cell.ts'
import type { Kernel } from './kernel.ts'
import type { EntityType } from './entity-type.ts'
import type { Journal } from './journal.ts'
import type { NodeRole } from './node-role.ts'
import type { DeliveryResult } from './pending-asks.ts'
import type { Remoting } from './remoting.ts'

export interface EntityInfo {
  readonly type: string
  readonly key: string
  readonly status: CellStatus
  readonly mailbox: number
}

export interface EntityHostOptions {
  readonly journal?: Journal
  readonly strict: boolean
  /** The mesh, once attached: entities owned by other nodes are reached through it. */
  readonly remoting: () => Remoting | undefined
  /**
   * Asked before an entity is activated here from its journal (a message came, and no activation
   * has it): a promise when another node may still hold it live and was asked to hand it over.
   * Its messages wait here until the hand-over arrives (adopt), or until the promise settles
   * (then the entity is activated from its journal). @default activate at once
   */
  readonly claim: () => ((type: string, key: string) => Promise<void> | undefined) | undefined
}

/** What a live migration carries from an entity's old owner to its new one. */
export interface HandOff {
  /** The entity's state after every event up to `seq`: durable, or in flight in the journal handed
   * over with it (`journal`), which makes them durable on the new owner. */
  readonly state: unknown
  readonly seq: number
  /** The seq of its last snapshot. */
  readonly snapshotSeq: number
  /** EntityType.exportVolatile's data (undefined: none). */
  readonly volatile: unknown
  /** The old owner's hold on the entity's journal (EntityJournal.handOver): the new owner goes on
   * from it, without taking the journal anew, when its journal can (Journal.open). Absent: the new
   * owner takes the journal with a new epoch, which fences the old owner. */
  readonly journal?: unknown
  /** Messages that arrived while it was being released, oldest first: the new owner takes them
   * before any other. */
  readonly buffered: readonly unknown[]
}

export type Release =
  | { readonly outcome: 'released', readonly handOff: HandOff }
  /** No activation here to move (none, or one already stopping or moving). */
  | { readonly outcome: 'not-active' }
  /** It did not stop cleanly (still busy after the interrupt, or a write failed): the new owner
   * must recover it from its journal, which fences what may still run here; the `waiting`
   * messages go on with finishRelease. `untaken`: it had not taken its journal yet (it was waiting
   * for it; leave stopped the wait): nothing of it ran here, nothing was lost. */
  | { readonly outcome: 'cold', readonly why: string, readonly waiting: number, readonly untaken?: true }

/** How long messages for an entity that moved away are passed on to its new owner (until the
 * senders' placement agrees). */
export const FORWARD_MS = 60_000

interface Registered {
  readonly def: EntityType<any, any, any, any>
  readonly region: ActorCell<never, undefined>
}

/**
 * The entities of one node: the registered types, and for each active entity its activation.
 * Activation happens on the first message; passivation removes the entry synchronously, so a
 * message that arrives afterwards starts a new activation (which waits until the old one has
 * written everything) instead of being lost.
 */
export class EntityHost {
  readonly #kernel: Kernel
  readonly #parent: ActorCell<never, undefined>
  readonly #options: EntityHostOptions
  readonly #types = new Map<string, Registered>()
  readonly #active = new Map<string, EntityActivation<any>>()
  /** Activations handed off and not yet stopped (their last writes may be in flight). */
  readonly #leaving = new Map<string, EntityActivation<any>>()
  /** Entities being released (live migration): their messages wait here. */
  readonly #moving = new Map<string, { readonly buffer: unknown[] }>()
  /** Entities claimed from another node (EntityHostOptions.claim): their messages wait here. */
  readonly #incoming = new Map<string, { readonly buffer: unknown[] }>()
  /** Entities that moved away: where their messages go, and until when. */
  readonly #forward = new Map<string, { readonly to: string, readonly until: number, ownedHere: boolean }>()
  /** Entities whose activation here a newer owner took: until when this node leaves them alone
   * (SUPERSEDED_HOLD_MS; a view change or a peer's forward ends it sooner). */
  readonly #superseded = new Map<string, number>()
  /** Waiting for no activation to be busy (see settle); checked after every entity message. */
  readonly #quietWaiters = new Set<() => void>()
  #closed = false

  constructor (kernel: Kernel, parent: ActorCell<never, undefined>, options: EntityHostOptions) {
    this.#kernel = kernel
    this.#parent = parent
    this.#options = options
  }

  register<M, S, E, V> (def: EntityType<M, S, E, V>): void {
    validateType(def)
    if (this.#types.has(def.type)) throw new EntityTypeTakenError(def.type)
    if (this.#options.journal === undefined) {
      throw new EntityConfigError(`entity type ${def.type} needs a journal: pass one to the ActorSystem`)
    }
    const region = this.#parent.spawnChild<never, undefined>(
      { receive: (s) => s, supervision: { scope: 'child', intensity: DEFAULT_ENTITY_INTENSITY } },
      { name: def.type, restart: 'permanent', kind: 'entity-region' })
    this.#types.set(def.type, { def, region })
  }

  types (): Array<{ type: string, role: NodeRole }> {
    return [...this.#types.values()].map(({ def }) => ({ type: def.type, role: def.role }))
  }

  /** The state `type/key` has after `events` (seq 1 on, in order), by its type's own initialState
   * and applyEvent: what a restore snapshots after rewriting a journal. */
  foldState (type: string, key: string, events: ReadonlyArray<{ readonly seq: number, readonly event: unknown }>): unknown {
    const registered = this.#types.get(type)
    if (registered === undefined) throw new UnknownEntityTypeError(type, [...this.#types.keys()])
    checkKey(key)
    let state = registered.def.initialState(key)
    for (const { seq, event } of events) state = registered.def.applyEvent(state, event, seq)
    return state
  }

  ref<M> (type: string, key: string): EntityRef<M> {
    const registered = this.#types.get(type)
    if (registered === undefined) throw new UnknownEntityTypeError(type, [...this.#types.keys()])
    checkKey(key)
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
    const registered = this.#types.get(type)
    if (registered === undefined) return new UnknownEntityTypeError(type, [...this.#types.keys()])
    try {
      checkKey(key)
      return this.#deliver(registered, key, msg, true)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }

  /**
   * Resolves once entity `type/key` has no activation here that is being handed off (its last
   * writes are on disk), or after `maxMs`. An entity active here and not handing off resolves at
   * once: it is still this node's.
   */
  async handedOff (type: string, key: string, maxMs: number): Promise<void> {
    const activation = this.#leaving.get(`${type}/${key}`)
    if (activation === undefined) return
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([activation.terminated, new Promise<void>((resolve) => { timer = setTimeout(resolve, maxMs) })])
    clearTimeout(timer)
  }

  /** The role entities of `type` need, or undefined for a type not registered here. */
  roleOf (type: string): NodeRole | undefined { return this.#types.get(type)?.def.role }

  /**
   * Waits until no active entity here is busy (EntityType.busy: e.g. an agent generating), at most
   * `timeoutMs`; then interrupts those still busy (EntityType.interrupt: the agent keeps its partial
   * answer) and waits at most `graceMs` more. For a node's stop: work in progress ends, or is ended
   * cleanly, before the entities stop. Returns how many were interrupted and how many stayed busy.
   */
  async settle (timeoutMs: number, graceMs: number): Promise<{ interrupted: number, busy: number }> {
    if (!await this.#quiet(timeoutMs)) {
      const busy = this.#busy()
      for (const activation of busy) activation.cell.deliver(INTERRUPT)
      const quiet = await this.#quiet(graceMs)
      return { interrupted: busy.length, busy: quiet ? 0 : this.#busy().length }
    }
    return { interrupted: 0, busy: 0 }
  }

  #busy (): Array<EntityActivation<any>> {
    const busy: Array<EntityActivation<any>> = []
    for (const activation of new Set([...this.#active.values(), ...this.#leaving.values()])) {
      const status = activation.cell.status
      if (status !== 'stopping' && status !== 'stopped' && activation.busy()) busy.push(activation)
    }
    return busy
  }

  /** Resolves true once no activation is busy, false after `ms`. */
  #quiet (ms: number): Promise<boolean> {
    if (this.#busy().length === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#busy().length > 0) return
        done(true)
      }
      const timer = setTimeout(() => { done(false) }, ms)
      const done = (quiet: boolean): void => {
        clearTimeout(timer)
        this.#quietWaiters.delete(check)
        resolve(quiet)
      }
      this.#quietWaiters.add(check)
    })
  }

  #handled = (): void => {
    if (this.#quietWaiters.size > 0) for (const check of [...this.#quietWaiters]) check()
  }

  /**
   * Passivates every active entity that `keep` says is no longer this node's (its owner changed):
   * each finishes what is in its mailbox and its writes, then stops even if it would rather stay
   * (e.g. a room with subscribers), but not while it is busy (an agent finishes its answer first);
   * its next message goes to the new owner. Returns how many.
   */
  handOff (keep: (type: string, key: string) => boolean): number {
    let count = 0
    for (const activation of this.#active.values()) {
      const [type = ''] = activation.id.split('/', 1)
      if (activation.handingOff || keep(type, activation.key)) continue
      activation.leave()
      this.#leaving.set(activation.id, activation)
      activation.cell.requestIdleStop()
      count++
    }
    return count
  }

  /**
   * The first half of a live migration: `type/key` stops taking messages (they wait here), finishes
   * the one in progress and what its mailbox holds, waits for its work in progress to end (at most
   * `busyMs`, then it is interrupted and gets `graceMs` more) and for its writes to be durable,
   * and stops. Resolves with what the new owner needs; its messages keep waiting here until
   * `finishRelease`.
   */
  async release (type: string, key: string, opts: { readonly busyMs: number, readonly graceMs: number }): Promise<Release> {
    const id = `${type}/${key}`
    const registered = this.#types.get(type)
    const activation = this.#active.get(id)
    const status = activation?.cell.status
    if (registered === undefined || activation === undefined || status === 'stopping' || status === 'stopped' ||
      activation.handingOff || this.#moving.has(id)) return { outcome: 'not-active' }
    const moving = { buffer: [] as unknown[] }
    this.#moving.set(id, moving)
    activation.leave()
    activation.capture = true
    this.#leaving.set(id, activation)
    activation.cell.requestIdleStop()
    let why: string | undefined
    if (!await settledWithin(activation.terminated, opts.busyMs)) {
      activation.cell.deliver(INTERRUPT)
      if (!await settledWithin(activation.terminated, opts.graceMs)) {
        why = `still busy ${opts.busyMs + opts.graceMs} ms after it was asked to move (interrupted after ${opts.busyMs} ms)`
        void activation.cell.finalize({ type: 'shutdown' })
        await settledWithin(activation.terminated, opts.graceMs)
      }
    }
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
    let volatile: unknown
    try {
      volatile = registered.def.exportVolatile?.(activation.volatile)
      if (volatile !== undefined) assertPlainData(volatile, `volatile state of ${id}`)
    } catch (err) {
      this.#kernel.log.warn({ entity: id, err }, `${id}: its volatile state does not move (${describe(err)}); the new owner starts a fresh one`)
      volatile = undefined
    }
    return { outcome: 'released', handOff: { ...captured, volatile, buffered: moving.buffer.splice(0) } }
  }

  /**
   * The end of a release: messages that arrived since go to `to` (the new owner), and so will
   * later ones for a while (FORWARD_MS, or until this node activates the entity again); with no
   * `to` (the hand-over failed) they are routed as any message is, and no forward stays. The mesh
   * calls it as soon as the hand-over is on its way (what follows it on the link reaches the new
   * owner after it), and again if the hand-over failed, with `unsent`: the messages the release
   * handed over, which did not reach the new owner (they are routed the same way).
   */
  finishRelease (type: string, key: string, to: string | undefined, unsent: readonly unknown[] = []): void {
    const id = `${type}/${key}`
    const moving = this.#moving.get(id)
    this.#moving.delete(id)
    const registered = this.#types.get(type)
    if (registered === undefined) return
    // ownedHere: this node's view still gave it the entity when it moved (an admin's move, whose
    // pin the view has not heard yet): the forward holds until the view says otherwise
    const ownedHere = to !== undefined && this.#options.remoting()?.ownerOf(type, registered.def.role, key) === this.#kernel.node
    if (to !== undefined && to !== this.#kernel.node) this.#forward.set(id, { to, until: Date.now() + FORWARD_MS, ownedHere })
    else this.#forward.delete(id)
    for (const msg of [...unsent, ...moving?.buffer ?? []]) this.#settleDelivery(msg, id, this.#route(registered, key, msg))
  }

  /** Placement's view changed: a forward set while this node still owned its entity follows the
   * view from the first change that names another owner (see #route). */
  viewChanged (): void {
    // an entity lost to a newer owner follows the new view
    this.#superseded.clear()
    const remoting = this.#options.remoting()
    for (const [id, forward] of this.#forward) {
      if (!forward.ownedHere || remoting === undefined) continue
      // it follows the view once the view names another owner (the pin was heard)
      const slash = id.indexOf('/')
      const registered = this.#types.get(id.slice(0, slash))
      if (registered !== undefined && remoting.ownerOf(registered.def.type, registered.def.role, id.slice(slash + 1)) !== this.#kernel.node) forward.ownedHere = false
    }
  }

  /**
   * The second half of a live migration, on the new owner: activates `type/key` from the state
   * handed over (its journal goes on from the old owner's hold when the hand-off carries one and the
   * journal takes it; otherwise it is taken with a new epoch, which fences the old owner), then
   * delivers the messages that waited on the old owner, then those that waited here. Resolves
   * once the activation has taken its journal (or failed to: it then recovers from the journal as
   * any activation does). Refused (EntityAlreadyActiveError) when an activation of it is here.
   */
  async adopt (type: string, key: string, handOff: HandOff): Promise<'ok' | Error> {
    const registered = this.#types.get(type)
    if (registered === undefined) return new UnknownEntityTypeError(type, [...this.#types.keys()])
    const id = `${type}/${key}`
    try {
      checkKey(key)
    } catch (err) {
      return err as Error
    }
    if (this.#closed) return new ActorStoppedError(id)
    let early: readonly unknown[] = []
    const existing = this.#active.get(id)
    const status = existing?.cell.status
    if (existing !== undefined && status !== 'stopping' && status !== 'stopped') {
      // one still taking its journal (waiting out the lease of the owner that now hands it over:
      // views that disagreed for a moment sent its messages here) holds nothing yet: it stops
      // taking, and what waits in its mailbox is refused as superseded and sent again, to this
      // activation. One that serves is not replaced
      if (!existing.taking || existing.handingOff || this.#moving.has(id)) return new EntityAlreadyActiveError(id, 'it is active here')
      this.#kernel.log.debug({ entity: id }, `${id}: a hand-over arrived while it was still being taken here; the hand-over takes its place`)
      // what arrives meanwhile waits for the activation handed over
      const meanwhile = { buffer: [] as unknown[] }
      this.#moving.set(id, meanwhile)
      existing.leave()
      const stopped = await settledWithin(existing.terminated, TAKE_GIVES_WAY_MS)
      this.#moving.delete(id)
      if (!stopped || this.#closed) {
        for (const msg of meanwhile.buffer) this.#settleDelivery(msg, id, this.#route(registered, key, msg))
        return new EntityAlreadyActiveError(id, `it was being taken here and did not stop within ${TAKE_GIVES_WAY_MS} ms`)
      }
      early = meanwhile.buffer
    }
    if (this.#moving.has(id)) return new EntityAlreadyActiveError(id, 'it is moving away from here')
    this.#forward.delete(id)
    this.#superseded.delete(id)
    const incoming = this.#incoming.get(id)
    this.#incoming.delete(id)
    let volatile: unknown
    if (handOff.volatile !== undefined && registered.def.importVolatile !== undefined) {
      try {
        volatile = registered.def.importVolatile(key, handOff.volatile, this.#kernel.refs)
      } catch (err) {
        this.#kernel.log.warn({ entity: id, err }, `${id}: the volatile state handed over is not valid (${describe(err)}); starting a fresh one`)
      }
    }
    const activation = this.#activate(registered, key, id, existing, {
      warm: { state: handOff.state, seq: handOff.seq, snapshotSeq: handOff.snapshotSeq, ...(handOff.journal !== undefined && { journal: handOff.journal }) },
      ...(volatile !== undefined && { volatile })
    })
    activation.adoptedAt = Date.now()
    for (const msg of [...handOff.buffered, ...early, ...incoming?.buffer ?? []]) {
      const refused = this.#check(registered.def, id, msg)
      this.#settleDelivery(msg, id, refused ?? activation.cell.deliver(msg))
    }
    await activation.cell.started.catch(() => undefined)
    return 'ok'
  }

  /**
   * Whether messages for `type/key` are taken here now, whoever placement says owns it: its
   * messages wait here for a move (in either direction), or it moved here in the last FORWARD_MS
   * (the senders' views are still converging). An activation that is here for any other reason
   * does not count: placement decides (one left over on the minority side of a partition must
   * not serve reads the new owner's writes have passed).
   */
  hosts (type: string, key: string): boolean {
    const id = `${type}/${key}`
    if (this.#moving.has(id) || this.#incoming.has(id)) return true
    const activation = this.#active.get(id)
    const status = activation?.cell.status
    return activation?.adoptedAt !== undefined && Date.now() - activation.adoptedAt < FORWARD_MS && status !== 'stopping' && status !== 'stopped'
  }

  /** The active entities here, as `[type, key]` (what a drain or a rebalance looks at). */
  activeIds (): Array<[string, string]> {
    const out: Array<[string, string]> = []
    for (const activation of this.#active.values()) {
      const status = activation.cell.status
      if (status === 'stopping' || status === 'stopped' || activation.handingOff) continue
      const [type = ''] = activation.id.split('/', 1)
      out.push([type, activation.key])
    }
    return out
  }

  /** Entities whose messages wait here (moving away, or claimed and not yet handed over), and how
   * many messages wait. */
  buffered (): { entities: number, messages: number } {
    let messages = 0
    for (const m of this.#moving.values()) messages += m.buffer.length
    for (const m of this.#incoming.values()) messages += m.buffer.length
    return { entities: this.#moving.size + this.#incoming.size, messages }
  }

  /** A message taken earlier ('ok' was answered) that could not be delivered after all: its ask,
   * if any, fails with the reason. */
  #settleDelivery (msg: unknown, id: string, result: DeliveryResult): void {
    if (result === 'ok') return
    const replyTo = replyToOf(msg)
    if (replyTo === undefined) return
    const [type = ''] = id.split('/', 1)
    const capacity = this.#types.get(type)?.def.mailbox ?? this.#kernel.mailboxCapacity
    const error = result === 'full' ? new MailboxFullError(id, capacity) : result === 'stopped' ? new ActorStoppedError(id) : result
    this.#kernel.reply(replyTo, { error })
  }

  /** Messages that waited for a claim that ended without a hand-over: the entity is activated
   * here from its journal (placement says it is this node's), unless this node's view turned
   * partial while the claim ran (a cut began: the previous owner did not answer because it is on
   * the other side, where it may still hold the entity): then they are refused as any message for
   * an entity not active here is (PartialViewError: their askers retry, or go to another node). */
  #claimEnded (registered: Registered, key: string, id: string): void {
    const incoming = this.#incoming.get(id)
    if (incoming === undefined) return
    this.#incoming.delete(id)
    const status = this.#active.get(id)?.cell.status
    const activeHere = status !== undefined && status !== 'stopping' && status !== 'stopped'
    const refused = !activeHere && this.#options.remoting()?.mayActivate?.() === false ? new PartialViewError(id) : undefined
    for (const msg of incoming.buffer) this.#settleDelivery(msg, id, refused ?? this.#deliverNow(registered, key, id, msg))
  }

  list (type?: string): EntityInfo[] {
    const out: EntityInfo[] = []
    for (const activation of this.#active.values()) {
      const info = activation.cell.info()
      const [entityType = ''] = activation.id.split('/', 1)
      if (type !== undefined && entityType !== type) continue
      out.push({ type: entityType, key: activation.key, status: info.status, mailbox: info.mailbox })
    }
    return out
  }

  get activeCount (): number { return this.#active.size }

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
    const all = [...new Set([...this.#active.values(), ...this.#leaving.values()])]
    for (const activation of all) {
      const status = activation.cell.status
      if (status === 'stopping' || status === 'stopped') continue
      activation.leave()
      activation.cell.requestIdleStop()
    }
    let left = all.length
    const stopped = Promise.all(all.map(async (a) => {
      await a.terminated
      await a.writes
      left--
    }))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([stopped, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    return left
  }

  #route<M> (registered: Registered, key: string, msg: M): DeliveryResult {
    const remoting = this.#options.remoting()
    if (remoting === undefined) return this.#deliver(registered, key, msg)
    if (this.hosts(registered.def.type, key)) return this.#deliver(registered, key, msg)
    const owner = remoting.ownerOf(registered.def.type, registered.def.role, key)
    if (owner instanceof Error) return owner
    if (owner === this.#kernel.node) return this.#deliver(registered, key, msg)
    if (this.#options.strict) assertPlainData(msg, `message to ${registered.def.type}/${key}`)
    return remoting.toEntity(owner, registered.def.type, key, msg)
  }

  /** `fromPeer`: another node sent it, so its type's check runs whatever the mode. */
  #deliver<M> (registered: Registered, key: string, msg: M, fromPeer = false): DeliveryResult {
    const id = `${registered.def.type}/${key}`
    if (this.#closed) {
      // a node that stops still passes on what comes for an entity that moved away from it
      const forwarded = this.#forwardOf(registered, key, id, msg)
      if (forwarded !== undefined) return forwarded
      this.#kernel.stats.deadLetters++
      return 'stopped'
    }
    if (this.#options.strict) assertPlainData(msg, `message to ${id}`)
    if (fromPeer || this.#options.strict) {
      const refused = this.#check(registered.def, id, msg)
      if (refused !== undefined) return refused
    }
    const waiting = this.#moving.get(id) ?? this.#incoming.get(id)
    if (waiting !== undefined) return this.#wait(registered, waiting.buffer, msg)
    const activation = this.#active.get(id) as EntityActivation<M> | undefined
    const status = activation?.cell.status
    if (activation === undefined || status === 'stopping' || status === 'stopped') {
      const forwarded = this.#forwardOf(registered, key, id, msg)
      if (forwarded !== undefined) return forwarded
      const refused = this.#supersededHold(id, fromPeer)
      if (refused !== undefined) return refused
      // a node whose view is partial takes nothing new: its placement may name it the owner of what
      // the other side of a cut owns (its replicas would be fenced from under their owner)
      if (this.#options.remoting()?.mayActivate?.() === false) return new PartialViewError(id)
      if (fromPeer) {
        // a peer's message may have come right behind the entity's hand-off (the old owner passes
        // on what arrives as soon as the hand-off is on its way, on the same link), whose adopt then
        // waits in this node's /migration mailbox: it waits here a turn, for that adopt to take it
        const waiting = { buffer: [msg] }
        this.#incoming.set(id, waiting)
        setImmediate(() => { if (this.#incoming.get(id) === waiting) this.#claimOrActivate(registered, key, id) })
        return 'ok'
      }
      const claim = this.#options.claim()?.(registered.def.type, key)
      if (claim !== undefined) {
        this.#incoming.set(id, { buffer: [msg] })
        const ended = (): void => { this.#claimEnded(registered, key, id) }
        claim.then(ended, ended)
        return 'ok'
      }
    }
    return this.#deliverNow(registered, key, id, msg)
  }

  /**
   * Passes on a message for `type/key`, which has no activation here, to the node it moved to
   * (undefined: no forward holds), while this node's own view does not give the entity back to
   * this node. Once it does (the node it moved to went down or drains, or the view changed back)
   * the forward is stale and dropped: the entity is taken here, after a claim if the node it moved to is still alive. A
   * forward to a node that died would refuse the entity's messages until it expired, and the node
   * placement picks next after the dead one is mostly the one that moved it there. A forward set
   * while this node's view still gave it the entity (an admin's move, whose pin this node has not
   * heard yet) holds until the view next changes (viewChanged).
   */
  #forwardOf (registered: Registered, key: string, id: string, msg: unknown): DeliveryResult | undefined {
    const forward = this.#forward.get(id)
    const remoting = this.#options.remoting()
    if (forward === undefined || remoting === undefined) return undefined
    if (forward.until > Date.now() && (forward.ownedHere || remoting.ownerOf(registered.def.type, registered.def.role, key) !== this.#kernel.node)) {
      return remoting.toEntity(forward.to, registered.def.type, key, msg)
    }
    this.#forward.delete(id)
    return undefined
  }

  /**
   * A newer owner took `id` from this node a moment ago (SUPERSEDED_HOLD_MS) and the view has not
   * changed since: this node's own messages for it are refused (EntitySupersededError, which callers
   * resend: isSuperseded) instead of taking it back. A peer's message ends the hold: that node's
   * view names this one as the owner.
   */
  #supersededHold (id: string, fromPeer: boolean): Error | undefined {
    const until = this.#superseded.get(id)
    if (until === undefined) return undefined
    if (fromPeer || until <= Date.now()) {
      this.#superseded.delete(id)
      return undefined
    }
    return new EntitySupersededError(id)
  }

  /** Messages wait here for `type/key` (#incoming) and no hand-over took them: its previous owner is
   * asked to hand it over (the claim hook), or it is activated here from its journal. */
  #claimOrActivate (registered: Registered, key: string, id: string): void {
    const ended = (): void => { this.#claimEnded(registered, key, id) }
    const claim = this.#closed ? undefined : this.#options.claim()?.(registered.def.type, key)
    if (claim === undefined) ended()
    else claim.then(ended, ended)
  }

  /** Delivers to the activation here, starting one (from the journal) if there is none. */
  #deliverNow<M> (registered: Registered, key: string, id: string, msg: M): DeliveryResult {
    let activation = this.#active.get(id) as EntityActivation<M> | undefined
    const status = activation?.cell.status
    if (activation === undefined || status === 'stopping' || status === 'stopped') {
      activation = this.#activate<M>(registered, key, id, activation)
    }
    return activation.cell.deliver(msg)
  }

  /** A message for an entity that is moving: it waits, up to the entity's mailbox capacity. */
  #wait (registered: Registered, buffer: unknown[], msg: unknown): DeliveryResult {
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

  #activate<M> (registered: Registered, key: string, id: string, old: EntityActivation<M> | undefined,
    moved?: { readonly warm: Captured, readonly volatile?: unknown }): EntityActivation<M> {
    const { def, region } = registered
    const { journal, strict } = this.#options
    // the next activation here starts once the last one stopped and its writes landed (a live move
    // stops an activation with its writes still in flight)
    const activation = new EntityActivation<M>(id, key, old === undefined ? Promise.resolve() : old.terminated.then(() => old.writes))
    activation.volatile = moved !== undefined && 'volatile' in moved ? moved.volatile : def.createVolatile?.(key)
    activation.warm = moved?.warm
    this.#active.set(id, activation)
    const remoting = this.#options.remoting()
    const deps = {
      journal: journal as Journal, strict, log: this.#kernel.log, refs: this.#kernel.refs,
      handled: this.#handled
    }
    // what an entity tells itself belongs to this activation while it lives (the end of its own
    // generation, even while it hands off); after that, to wherever the entity lives then
    const capacity = def.mailbox ?? this.#kernel.mailboxCapacity
    const self = new EntityRef<M>(def.type, key, (msg) => {
      const status = activation.cell.status
      if (status === 'stopping' || status === 'stopped') return this.#route(registered, key, msg)
      if (strict) {
        assertPlainData(msg, `message to ${id}`)
        const refused = this.#check(def, id, msg)
        if (refused !== undefined) return refused
      }
      return activation.cell.deliver(msg)
    }, capacity, this.#kernel.asks, this.#kernel.stats)
    const stats = this.#kernel.stats
    activation.cell = region.spawnChild(entityBehavior(def, activation, self, deps), {
      name: key,
      restart: 'transient',
      kind: def.type,
      idleTimeout: def.idleTimeout ?? DEFAULT_ENTITY_IDLE_MS,
      ...(def.mailbox !== undefined && { mailbox: def.mailbox })
    }, {
      onIdle: () => {
        if (activation.handingOff ? activation.busy() : !activation.canPassivate()) return false
        if (this.#active.get(id) === activation) this.#active.delete(id)
        return true
      },
      onTerminated: (reason) => {
        if (this.#active.get(id) === activation) this.#active.delete(id)
        if (this.#leaving.get(id) === activation) this.#leaving.delete(id)
        if (reason.type === 'idle') stats.entityPassivations++
        if (reason.type === 'failed' && isSuperseded(reason.error) && this.#active.get(id) === undefined) {
          stats.entitiesSuperseded++
          const now = Date.now()
          if (this.#superseded.size >= SUPERSEDED_TRACKED_MAX) for (const [other, until] of this.#superseded) if (until <= now) this.#superseded.delete(other)
          if (this.#superseded.size < SUPERSEDED_TRACKED_MAX) this.#superseded.set(id, now + SUPERSEDED_HOLD_MS)
          try {
            def.superseded?.(activation.volatile, key)
          } catch (err) {
            this.#kernel.log.warn({ entity: id, err }, `${id}: its superseded hook threw: ${describe(err)}`)
          }
        }
        activation.markTerminated()
        this.#handled()
      }
    }) as ActorCell<M, unknown>
    stats.entityActivations++
    return activation
  }
}

function validateType<M, S, E, V> (def: EntityType<M, S, E, V>): void {
  if (typeof def.type !== 'string' || !ENTITY_TYPE_PATTERN.test(def.type)) {
    throw new EntityConfigError(`entity type name ${JSON.stringify(def.type)} must match ${ENTITY_TYPE_PATTERN}`)
  }
  if (!isNodeRole(def.role)) {
    throw new EntityConfigError(`entity type ${def.type}: role must be one of ${NODE_ROLES.join(', ')}, got ${JSON.stringify(def.role)}`)
  }
  for (const fn of ['initialState', 'applyEvent', 'receive'] as const) {
    if (typeof def[fn] !== 'function') throw new EntityConfigError(`entity type ${def.type}: ${fn} must be a function`)
  }
  if (def.check !== undefined && typeof def.check !== 'function') throw new EntityConfigError(`entity type ${def.type}: check must be a function`)
  if (def.snapshotEvery !== undefined && typeof def.snapshotEvery !== 'function' && (!Number.isInteger(def.snapshotEvery) || def.snapshotEvery < 1)) {
    throw new EntityConfigError(`entity type ${def.type}: snapshotEvery must be a positive integer or a function of the state, got ${String(def.snapshotEvery)}`)
  }
  for (const field of ['idleTimeout', 'mailbox'] as const) {
    const value = def[field]
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new EntityConfigError(`entity type ${def.type}: ${field} must be a positive integer, got ${value}`)
    }
  }
}

function checkKey (key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > ENTITY_KEY_MAX_LENGTH || ENTITY_KEY_FORBIDDEN.test(key)) {
    throw new InvalidNameError('entity key', String(key), `1-${ENTITY_KEY_MAX_LENGTH} characters, no '/', no control characters, not starting with '$'`)
  }
}

/** Whether `promise` settles within `ms`. */
async function settledWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const settled = await Promise.race([promise.then(() => true, () => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false) }, ms) })])
  clearTimeout(timer)
  return settled
}
