import type { Spans } from '../tracing/index.ts'
import type { ActorSystem, RemotingPort } from '../../actors/index.ts'
import { PeriodicService, ServiceFailures } from '../services/index.ts'
import { ActorTransport } from './actor-transport.ts'
import { ClusterAdmin } from './cluster-admin.ts'
import { MEMBERS_ASK_MS } from './constants.ts'
import { LoneRemoting } from './lone-remoting.ts'
import { MemberStatuses } from './member-statuses.ts'
import type { MemberView } from './membership.ts'
import { INSPECTOR_PATH, checkMemberList, nodeInspector } from './node-inspector.ts'
import type { InspectorMsg, JobsView, JournalHeads } from './node-inspector.ts'
import type { P2pHost } from './p2p-host.ts'
import type { PinTable } from './pins.ts'
import { Placement } from './placement.ts'
import { leavingCandidates, roleCandidates } from './role-candidates.ts'
import { ROLE_MANAGER_PATH, roleManager } from './role-manager.ts'
import { Settling } from './settling.ts'
import type { NodeRoles } from './role-manager.ts'
import { SoonestTimer } from './soonest-timer.ts'
import { viewHealth } from './view-health.ts'
import { WireErrors } from './wire-errors.ts'
import type { ErrorModule } from './wire-errors.ts'

export interface ClusterOptions {
  readonly system: ActorSystem
  /** How far entities' journals got (admin's entity detail). */
  readonly heads: JournalHeads
  readonly roles: NodeRoles
  /** Placement weight of this node. */
  readonly capacity: number
  /** The libp2p host; undefined when the node runs alone (no cluster key). */
  readonly p2p: P2pHost | undefined
  /** Whether this node takes entities (false while it drains). */
  readonly serving: () => boolean
  /**
   * Placement changed: moves the active entities that are now other nodes' (the node's migrator);
   * returns how many it queued. @default they are relinquished here (relinquish), and recover from
   * their journals on their new owners
   */
  readonly moveAway?: () => number
  /** Placement changed (a member came or went, roles changed): after entities were handed off. */
  readonly onViewChange: (view: Record<string, string[]>) => void
  /** Every refresh: the members heard (the storage roster takes new storage members). */
  readonly onMembers?: (members: readonly MemberView[]) => void
  /** How often the view is refreshed besides on every record heard. */
  readonly refreshMs: number
  /** A member that joins a cluster this node serves, or comes back after it was down, takes
   * entities only once it has been up this long (a member that flaps up and down does not drag
   * entities back and forth). @default 0 */
  readonly settleMs?: number
  /** This node's `settled` changed (see `settled`): its record should reach the others now. */
  readonly onSettled?: () => void
  /** The entities an admin pinned to this node (announced in its record; placement honours every
   * member's). @default none */
  readonly pins?: PinTable
  /** This node's jobs, which its inspector lists and cancels for other members (absent: none). */
  readonly jobs?: JobsView
  /** The error modules of the folders above the mesh whose errors cross the wire (inference,
   * replication): a failed ask from another node rebuilds them as their own classes. @default none
   * (the mesh's own and those of the folders below it only) */
  readonly errorModules?: readonly ErrorModule[]
  /** Where the view refresh's failures are counted (one per node, shared by every service).
   * @default a counter of its own */
  readonly failures?: ServiceFailures
  /** Traces carried in actor envelopes (ActorTransportOptions.spans). @default none */
  readonly spans?: Spans
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
}

/**
 * The node's side of the cluster: it joins the actor system to the mesh (the actor transport, or
 * a cluster of one without a key), runs the system actors every node has
 * (`/role-manager`, `/inspector`), and keeps placement's view of the members current: on every
 * change, entities this node no longer owns are handed off. Admin queries are `admin`'s.
 */
export class Cluster {
  readonly placement: Placement
  readonly transport: ActorTransport | undefined
  readonly admin: ClusterAdmin
  readonly #opts: ClusterOptions
  readonly #port: RemotingPort
  /** Members down and drained, as the refreshes saw them. */
  readonly #statuses: MemberStatuses
  /** The members as of the last refresh: what placement uses, and what the admin API shows, so
   * that a member shown down is never still given entities. */
  #members: MemberView[] = []
  readonly #peerWaiters = new Set<(heard: boolean) => void>()
  /** Called after every refresh (awaitFullView's waits). */
  readonly #refreshWaiters = new Set<() => void>()
  /** Members up long enough to take entities. */
  readonly #settling: Settling
  /** Members' pins as maps, by the array their record carried (a record's pins change rarely). */
  readonly #pinMaps = new WeakMap<object, ReadonlyMap<string, number>>()
  /** The refresh besides the one on every record heard (every refreshMs). */
  #refresher: PeriodicService | undefined
  readonly #settleTimer = new SoonestTimer(() => { this.refresh() })
  /** When this node began to serve (undefined: it does not serve now). */
  #servingSince: number | undefined
  /** This node has served the settle time (its record's `settled`). */
  #settled = false
  /** This node hears no more than half of the members it knows (view-health.ts). */
  #partial = false
  /** It was partial and has not settled since (it serves again as one that just started). */
  #rejoining = false
  /** What viewIsWhole() said at the last refresh, and who is told when it changes. */
  #whole = false
  readonly #wholeListeners = new Set<(whole: boolean) => void>()
  #unheard: (() => void) | undefined

  private constructor (opts: ClusterOptions) {
    this.#opts = opts
    this.#settling = new Settling(opts.settleMs ?? 0)
    const { system, heads, p2p, log } = opts
    this.#statuses = new MemberStatuses(system.node, log)
    this.placement = new Placement(system.node)
    let port: RemotingPort | undefined
    this.transport = p2p === undefined
      ? undefined
      : new ActorTransport({
        libp2p: p2p.libp2p,
        port: () => port as RemotingPort,
        placement: this.placement,
        leaving: (peer) => this.#statuses.drained(peer),
        dialFailed: (peer, err) => { p2p.dialFailed(peer, err) },
        connectionFor: (peer) => p2p.connectionFor(peer),
        errors: new WireErrors(opts.errorModules),
        ...(opts.spans !== undefined && { spans: opts.spans }),
        log
      })
    // the minority side of a cut, and a node back from one until it settled again, activates
    // nothing it does not hold (a node still starting does: a lone node's first entities)
    if (this.transport !== undefined) this.transport.activating = () => !this.#partial && !this.#rejoining
    port = system.attachRemoting(this.transport ?? new LoneRemoting(this.placement))
    this.#port = port
    this.admin = new ClusterAdmin({ system, heads, placement: this.placement, members: () => p2p?.members() ?? [], log })
  }

  /** Joins the actor system to the mesh and starts the system actors; the transport is listening
   * before this resolves. */
  static async start (opts: ClusterOptions): Promise<Cluster> {
    const { system, p2p } = opts
    const self = new Cluster(opts)
    self.refresh()
    await self.transport?.start()
    system.spawn(roleManager({
      peerId: system.node,
      roles: opts.roles,
      onChange: () => {
        self.refresh()
        p2p?.announce()
      }
    }), { name: ROLE_MANAGER_PATH.slice(1), kind: 'role-manager' })
    const heard = (): string[] => (p2p?.members() ?? []).filter((m) => m.status !== 'down').map((m) => m.peerId)
    system.spawn(nodeInspector(system, opts.heads, heard, opts.jobs), { name: INSPECTOR_PATH.slice(1), kind: 'inspector', mailbox: 256 })
    if (p2p !== undefined) {
      self.#unheard = p2p.onHeard(() => { self.refresh() })
      self.#refresher = new PeriodicService({ name: 'view-refresh', intervalMs: opts.refreshMs, run: () => { self.refresh() }, failures: opts.failures ?? new ServiceFailures(), log: opts.log })
      self.#refresher.start()
    }
    return self
  }

  /**
   * Recomputes placement from the members heard and this node's roles. On a change, active
   * entities this node no longer owns are handed off (they finish their mailbox and busy work and
   * stop; their next message goes to the new owner), and links to members now down are closed
   * (their asks fail).
   */
  refresh (): void {
    const opts = this.#opts
    const self = opts.system.node
    const members = opts.p2p?.members() ?? []
    this.#members = members
    opts.onMembers?.(members)
    this.#statuses.update(members, this.transport)
    if (this.#peerWaiters.size > 0 && members.some((m) => m.peerId !== self && m.status !== 'down')) {
      for (const wake of [...this.#peerWaiters]) wake(true)
    }
    for (const wake of [...this.#refreshWaiters]) wake()
    const now = Date.now()
    const others = members.filter((m) => m.peerId !== self)
    const serving = opts.serving()
    const selfSettled = this.#standing(others, serving, now)
    // what this node's own clock saw of others (how long each has been up) counts once it has
    // settled itself; until then, as for a node joining, the members' records are all that counts
    const { settled, nextInMs } = this.#settling.update(others, selfSettled, now)
    // the view changes when it settles, whether or not a record arrives then
    if (nextInMs !== undefined) this.#refreshIn(nextInMs)
    const wasSettled = this.#settled
    this.#settled = selfSettled
    // the others hear at once that this node has settled, not at its next heartbeat
    if (this.#settled !== wasSettled) opts.onSettled?.()
    const candidates = roleCandidates({
      self, selfRoles: opts.roles.current, capacity: opts.capacity, serving, selfSettled, settled, others, pinsOf: (list) => this.#pinsOf(list), ...(opts.pins !== undefined && { pins: opts.pins.map() })
    })
    // a draining member still holds what its drain has not moved yet: a new owner asks it first
    const changed = this.placement.update(candidates, leavingCandidates(self, members))
    // said with the view it goes with, before anything acts on the new view
    const whole = serving && !this.#partial && !this.#rejoining
    if (whole !== this.#whole) {
      this.#whole = whole
      for (const listener of [...this.#wholeListeners]) listener(whole)
    }
    if (changed) this.#viewChanged()
  }

  /**
   * Where this node itself stands, as of a refresh: a node that hears no more than half of the
   * members it knows is the side of a cut that must not act as the cluster: it settles nothing,
   * and when it hears a majority again it serves as one that just started (its own settle time
   * starts over; the members it hears count as their records say, as for a node joining a
   * cluster), so its view agrees with the majority's. It settles itself as the others see it:
   * once it has served settleMs with a whole view (its record says so, and the others' clocks
   * agree within a heartbeat). Returns whether it has settled.
   */
  #standing (others: readonly MemberView[], serving: boolean, now: number): boolean {
    const { log, settleMs = 0 } = this.#opts
    const health = viewHealth(others)
    if (health.partial !== this.#partial) {
      if (health.partial) log.warn({ reached: health.reached, known: health.known }, `this node hears ${health.reached - 1} of the ${health.known - 1} other members it knows: its view is partial (a network cut?); it takes no entity it does not hold until it hears a majority again`)
      else log.info({ reached: health.reached, known: health.known }, `this node hears ${health.reached - 1} of the ${health.known - 1} other members it knows again: its view is whole; it takes entities once it has settled, as a node that just started`)
      this.#partial = health.partial
    }
    if (health.partial) this.#rejoining = true
    if (!serving || health.partial) this.#servingSince = undefined
    else this.#servingSince ??= now
    const selfWait = this.#servingSince === undefined ? 0 : this.#servingSince + settleMs - now
    if (this.#servingSince !== undefined && selfWait > 0) this.#refreshIn(selfWait)
    const selfSettled = this.#servingSince !== undefined && selfWait <= 0
    if (selfSettled) this.#rejoining = false
    return selfSettled
  }

  /** Refreshes again `ms` from now (just after), unless a refresh is due by then already (one due
   * later is brought forward: a member that settles sooner is not held for one that settles later). */
  #refreshIn (ms: number): void {
    this.#settleTimer.in(ms + 1)
  }

  /** Placement changed: entities this node no longer owns move (or are handed off), and the node
   * is told. */
  #viewChanged (): void {
    const opts = this.#opts
    const self = opts.system.node
    this.#port.viewChanged()
    const moved = opts.moveAway?.() ?? this.#port.relinquish((type, key) => {
      const role = this.#port.roleOf(type)
      return role !== undefined && this.placement.ownerOf(type, role, key) === self
    })
    const view = this.placement.view()
    opts.log.info({ view, handedOff: moved }, `placement view changed${moved > 0 ? `: handing off ${moved} entities` : ''}`)
    opts.onViewChange(view)
  }

  #pinsOf (list: ReadonlyArray<readonly [string, number]>): ReadonlyMap<string, number> {
    let map = this.#pinMaps.get(list)
    if (map === undefined) {
      map = new Map(list)
      this.#pinMaps.set(list, map)
    }
    return map
  }

  /** The actor system's inbound port (the migrator moves entities through it). */
  get port (): RemotingPort { return this.#port }

  /** Resolves true once another member has been heard from (a record heard refreshes the view),
   * false after `ms` or at once for a node without a cluster key. */
  awaitPeers (ms: number): Promise<boolean> {
    if (this.#opts.p2p === undefined) return Promise.resolve(false)
    this.refresh()
    if (this.#members.some((m) => m.peerId !== this.#opts.system.node && m.status !== 'down')) return Promise.resolve(true)
    return new Promise((resolve) => {
      const wake = (heard: boolean): void => {
        clearTimeout(timer)
        this.#peerWaiters.delete(wake)
        resolve(heard)
      }
      const timer = setTimeout(() => { wake(false) }, ms)
      this.#peerWaiters.add(wake)
    })
  }

  /**
   * Once a member was heard (awaitPeers): asks the members heard which members they hear, and
   * waits, at most `ms`, to hear each of those too. Member records arrive one by one, so a node
   * that took entities on hearing its first member would place them on a view of itself and that
   * member, activating entities that are others' (and fencing their owners). Resolves with the
   * members still not heard when `ms` ran out (none: the view is the cluster's).
   */
  async awaitFullView (ms: number): Promise<string[]> {
    const { system, p2p, log } = this.#opts
    if (p2p === undefined) return []
    const self = system.node
    const deadline = performance.now() + ms
    const heard = (): Set<string> => new Set(p2p.members().filter((m) => m.status !== 'down').map((m) => m.peerId))
    const asked = [...heard()].filter((p) => p !== self)
    const lists = await Promise.all(asked.map(async (node) => {
      try {
        return checkMemberList(await system.actorAt<InspectorMsg>({ node, path: INSPECTOR_PATH })
          .ask<unknown>((replyTo) => ({ type: 'members', replyTo }), { timeout: Math.max(1, Math.min(ms, MEMBERS_ASK_MS)) }))
      } catch (err) {
        // a member of an older version, or one going away: its own record is all this node gets
        log.debug({ peer: node, err }, `member ${node} did not say which members it hears`)
        return []
      }
    }))
    const wanted = new Set(lists.flat().filter((p) => p !== self))
    for (;;) {
      this.refresh()
      const now = heard()
      const missing = [...wanted].filter((p) => !now.has(p))
      const left = deadline - performance.now()
      if (missing.length === 0 || left <= 0) return missing
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer)
          this.#refreshWaiters.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, left)
        this.#refreshWaiters.add(wake)
      })
    }
  }

  /** Whether this node has served the settle time (a member that joins or comes back takes
   * entities of roles others serve once it has, see Settling). Its member record says so. */
  get settled (): boolean { return this.#settled }

  /**
   * Whether this node's view of the cluster is whole as of the last refresh: it serves (it is
   * ready: a node joining is not until it heard the members the cluster has), it hears more than
   * half of the members it knows (view-health.ts: not the minority side of a cut), and it has
   * settled since it last was partial (a node coming back from a cut is treated as one that just
   * started). While it is not, this node must not activate an entity it does not already hold:
   * its placement may name it owner of entities that another side of a cut owns.
   */
  viewIsWhole (): boolean { return this.#whole }

  /** Calls `listener` with viewIsWhole() each time it changes (at the end of a refresh); returns a
   * function that stops it. */
  onWholeChange (listener: (whole: boolean) => void): () => void {
    this.#wholeListeners.add(listener)
    return () => { this.#wholeListeners.delete(listener) }
  }

  /** Whether this node hears no more than half of the members it knows now (a cut's minority). */
  get partial (): boolean { return this.#partial }

  /**
   * Whether `peer` (this node or another) owns entities of `role` in this view ('candidate'), will
   * once it settled ('settling': it is up, holds the role, and came up less than the settle time
   * ago), or neither ('no': not up, without the role, or draining).
   */
  candidacy (peer: string, role: string): 'candidate' | 'settling' | 'no' {
    if (this.placement.holds(peer, role)) return 'candidate'
    if (peer === this.#opts.system.node) return this.#opts.serving() && (this.#opts.roles.current as readonly string[]).includes(role) ? 'settling' : 'no'
    const m = this.#members.find((x) => x.peerId === peer)
    return m !== undefined && (m.status === 'up' || m.status === 'suspect') && m.roles.includes(role) ? 'settling' : 'no'
  }

  /** Resolves true once `peer` is a candidate of `role` in this view (candidacy); false at once
   * when it is not settling, or after `ms`. */
  async awaitCandidate (peer: string, role: string, ms: number): Promise<boolean> {
    const now = this.candidacy(peer, role)
    if (now !== 'settling') return now === 'candidate'
    return await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        this.#refreshWaiters.delete(wake)
        resolve(ok)
      }
      // woken at the start of a refresh: the view is looked at once the refresh is over
      const wake = (): void => {
        queueMicrotask(() => {
          const then = this.candidacy(peer, role)
          if (then !== 'settling') done(then === 'candidate')
        })
      }
      const timer = setTimeout(() => { done(this.placement.holds(peer, role)) }, ms)
      this.#refreshWaiters.add(wake)
    })
  }

  /** The other members as of the last refresh (placement's view). */
  members (): MemberView[] { return this.#members.filter((m) => m.peerId !== this.#opts.system.node) }

  async stop (): Promise<void> {
    await this.#refresher?.stop()
    this.#settleTimer.clear()
    this.#unheard?.()
    for (const wake of [...this.#peerWaiters]) wake(false)
    for (const wake of [...this.#refreshWaiters]) wake()
    await this.transport?.stop()
  }
}
