import type { ActorSystem, Journal, NodeRole } from '../../actors/index.ts'
import { describe } from '../../actors/index.ts'
import { ActorTransport } from './actor-transport.ts'
import { PeerUnreachableError } from './errors.ts'
import type { MemberView } from './membership.ts'
import { INSPECTOR_PATH, localActors, localEntity, nodeInspector } from './node-inspector.ts'
import type { ActorRow, EntityRow, InspectorMsg } from './node-inspector.ts'
import type { P2pHost } from './p2p-host.ts'
import { Placement } from './placement.ts'
import type { Candidate } from './placement.ts'
import { ROLE_MANAGER_PATH, checkRoles, roleManager } from './role-manager.ts'
import { JOURNAL_PAGE, JOURNAL_PATH, journalServer } from './journal-server.ts'
import type { JournalMsg } from './journal-server.ts'
import type { JournalRecord, Remoting } from '../../actors/index.ts'
import type { NodeRoles, RoleManagerMsg, RolesInfo } from './role-manager.ts'

/** How long an admin listing waits for each member. */
const ADMIN_ASK_MS = 3_000
/** Catching up one entity's journal: the head asked of each member (a live one answers in ms),
 * each page, and the whole of it. */
const CATCH_UP_HEAD_MS = 2_000
const CATCH_UP_ASK_MS = 6_000
const CATCH_UP_TOTAL_MS = 30_000

export interface ClusterOptions {
  readonly system: ActorSystem
  readonly journal: Journal
  readonly roles: NodeRoles
  /** Placement weight of this node. */
  readonly capacity: number
  /** The libp2p host; undefined when the node runs alone (no cluster key). */
  readonly p2p: P2pHost | undefined
  /** Whether this node takes entities (false while it drains). */
  readonly serving: () => boolean
  /** Placement changed (a member came or went, roles changed): after entities were handed off. */
  readonly onViewChange: (view: Record<string, string[]>) => void
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
}

/** Not a member this node knows (the admin named a peer id that is not in the view). */
export class UnknownPeerError extends Error {
  override readonly name = 'UnknownPeerError'
  readonly kind = 'not-found'
}

/**
 * The node's side of the cluster: placement over the members it sees, the actor transport, the
 * role manager and the inspector, and the view refresh that ties them together. A node without
 * a p2p host is a cluster of one: placement still applies its roles.
 */
export class Cluster {
  readonly placement: Placement
  readonly transport: ActorTransport | undefined
  readonly #opts: ClusterOptions
  readonly #down = new Set<string>()
  /** The members as of the last refresh: what placement uses, and what the admin API shows, so
   * that a member shown down is never still given entities. */
  #members: MemberView[] = []
  #timer: ReturnType<typeof setInterval> | undefined

  private constructor (opts: ClusterOptions) {
    this.#opts = opts
    this.placement = new Placement(opts.system.node)
    this.transport = opts.p2p === undefined
      ? undefined
      : new ActorTransport({ libp2p: opts.p2p.libp2p, system: opts.system, placement: this.placement, log: opts.log })
  }

  /** Attaches the mesh to the actor system and starts the role manager and the inspector. The
   * transport is listening before this resolves. */
  static async start (opts: ClusterOptions, heartbeatMs: number): Promise<Cluster> {
    const { system } = opts
    const self = new Cluster(opts)
    const transport = self.transport
    self.refresh()
    if (transport !== undefined) await transport.start()
    const remoting: Remoting = transport === undefined
      ? {
          ownerOf: (type, role, key) => self.placement.ownerOf(type, role, key),
          toEntity: (node) => new PeerUnreachableError(node, 'this node runs alone (no cluster key)'),
          toActor: (address) => new PeerUnreachableError(address.node, 'this node runs alone (no cluster key)'),
          reply: () => undefined
        }
      : {
          ownerOf: (type, role, key) => transport.ownerOf(type, role, key),
          toEntity: (node, type, key, msg) => transport.toEntity(node, type, key, msg),
          toActor: (address, msg) => transport.toActor(address, msg),
          reply: (to, outcome) => { transport.reply(to, outcome) },
          catchUp: (entityId) => self.catchUp(entityId)
        }
    system.attachRemoting(remoting)
    system.spawn(journalServer(system, opts.journal), { name: JOURNAL_PATH.slice(1), kind: 'journal-server', mailbox: 4096 })
    system.spawn(roleManager({
      peerId: system.node,
      roles: opts.roles,
      onChange: () => {
        self.refresh()
        opts.p2p?.announce()
      }
    }), { name: ROLE_MANAGER_PATH.slice(1), kind: 'role-manager' })
    system.spawn(nodeInspector(system, opts.journal), { name: INSPECTOR_PATH.slice(1), kind: 'inspector', mailbox: 256 })
    if (opts.p2p !== undefined) {
      self.#timer = setInterval(() => { self.refresh() }, Math.max(50, Math.floor(heartbeatMs / 2)))
      self.#timer.unref()
    }
    return self
  }

  /**
   * Recomputes placement from the members heard and this node's roles. On a change, active
   * entities this node no longer owns are handed off (they finish their mailbox and stop; their
   * next message goes to the new owner), and links to members now down are closed (their asks fail).
   */
  refresh (): void {
    const opts = this.#opts
    const members = opts.p2p?.members() ?? []
    this.#members = members
    for (const m of members) {
      if (m.status === 'down' && !this.#down.has(m.peerId)) {
        this.#down.add(m.peerId)
        opts.log.warn({ peer: m.peerId }, `member ${m.peerId} is down (no heartbeat for the failure timeout); its entities move`)
        this.transport?.peerDown(m.peerId)
      } else if (m.status !== 'down' && this.#down.delete(m.peerId)) {
        opts.log.info({ peer: m.peerId }, `member ${m.peerId} is back`)
      }
    }
    const candidates: Candidate[] = members
      .filter((m) => m.peerId !== opts.system.node && (m.status === 'up' || m.status === 'suspect'))
      .map((m) => ({ peerId: m.peerId, roles: m.roles, capacity: m.capacity }))
    // a draining node hands its entities to the others, but keeps those of a role nobody else
    // holds until it exits (a lone node finishes what is in flight instead of refusing it)
    const held = new Set(candidates.flatMap((c) => c.roles))
    const mine = opts.serving() ? opts.roles.current : opts.roles.current.filter((r) => !held.has(r))
    if (mine.length > 0) candidates.push({ peerId: opts.system.node, roles: mine, capacity: opts.capacity })
    if (!this.placement.update(candidates)) return
    const self = opts.system.node
    const moved = opts.system.handOff((type, key) => {
      const role = opts.system.roleOf(type)
      return role !== undefined && this.placement.ownerOf(type, role, key) === self
    })
    const view = this.placement.view()
    opts.log.info({ view, handedOff: moved }, `placement view changed${moved > 0 ? `: handing off ${moved} entities` : ''}`)
    opts.onViewChange(view)
  }

  /**
   * Before an entity recovers here, brings its local journal up to the longest one a reachable
   * member holds: an entity whose owner changed (a join, a role change, a drain) keeps its history
   * as long as the member it lived on is up. Pages are appended in order; whatever cannot be
   * fetched is left out (logged) and the entity starts from what is here. Never rejects.
   */
  async catchUp (entityId: string): Promise<void> {
    const { system, journal, log } = this.#opts
    // members that are up or draining: a suspect one is likely gone, and waiting on it would hold
    // the activation (and the message that caused it) for the ask's timeout
    const others = this.#members.filter((m) => m.peerId !== system.node && (m.status === 'up' || m.status === 'draining'))
    if (others.length === 0) return
    try {
      const local = await journal.highestSeq(entityId)
      const heads = await Promise.all(others.map(async (m) => {
        try {
          const seq = await system.actorAt<JournalMsg>({ node: m.peerId, path: JOURNAL_PATH })
            .ask<number>((replyTo) => ({ type: 'head', entityId, replyTo }), { timeout: CATCH_UP_HEAD_MS })
          return { peer: m.peerId, seq }
        } catch (err) {
          log.debug({ peer: m.peerId, entity: entityId }, `no journal head of ${entityId} from ${m.peerId}: ${describe(err)}`)
          return { peer: m.peerId, seq: -1 }
        }
      }))
      const best = heads.reduce((a, b) => (b.seq > a.seq ? b : a))
      if (best.seq <= local) return
      const source = system.actorAt<JournalMsg>({ node: best.peer, path: JOURNAL_PATH })
      const deadline = Date.now() + CATCH_UP_TOTAL_MS
      let from = local + 1
      let limit = JOURNAL_PAGE
      while (from <= best.seq && Date.now() < deadline) {
        let page: JournalRecord[]
        try {
          page = await source.ask<JournalRecord[]>((replyTo) => ({ type: 'read', entityId, from, limit, replyTo }), { timeout: CATCH_UP_ASK_MS })
        } catch (err) {
          if ((err as Error).name === 'MessageTooLargeError' && limit > 1) {
            limit = Math.max(1, Math.floor(limit / 2))
            continue
          }
          throw err
        }
        if (page.length === 0 || page.some((r, i) => r.seq !== from + i)) break
        await journal.append(entityId, page)
        from += page.length
      }
      log.info({ entity: entityId, from: best.peer, events: from - 1 - local }, `${entityId}: took events ${local + 1}-${from - 1} of its journal from ${best.peer}, where it lived before`)
      if (from <= best.seq) log.warn({ entity: entityId }, `${entityId}: its journal on ${best.peer} goes to seq ${best.seq}, only ${from - 1} could be fetched; it starts from there`)
    } catch (err) {
      log.warn({ entity: entityId, err }, `${entityId}: catching up its journal from other members failed (${describe(err)}); it starts from this node's journal`)
    }
  }

  /** Resolves once another member has been heard from, or after `ms` (false then). */
  async awaitPeers (ms: number): Promise<boolean> {
    const p2p = this.#opts.p2p
    if (p2p === undefined) return false
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (p2p.members().some((m) => m.peerId !== this.#opts.system.node && m.status !== 'down')) {
        this.refresh()
        return true
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return false
  }

  /** Members placement can use (this node included), for admin listings. */
  #reachable (): string[] {
    const self = this.#opts.system.node
    const others = (this.#opts.p2p?.members() ?? []).filter((m) => m.status !== 'down' && m.peerId !== self).map((m) => m.peerId)
    return [self, ...others]
  }

  /** Every live actor and active entity in the cluster; members that did not answer are named. */
  async actors (kind?: string): Promise<{ actors: ActorRow[], unreachable: string[] }> {
    const { system } = this.#opts
    const unreachable: string[] = []
    const lists = await Promise.all(this.#reachable().map(async (node) => {
      if (node === system.node) return localActors(system, kind)
      try {
        return await system.actorAt<InspectorMsg>({ node, path: INSPECTOR_PATH })
          .ask<ActorRow[]>((replyTo) => ({ type: 'actors', ...(kind !== undefined && { kind }), replyTo }), { timeout: ADMIN_ASK_MS })
      } catch (err) {
        unreachable.push(node)
        this.#opts.log.warn({ peer: node }, `member ${node} did not list its actors: ${describe(err)}`)
        return []
      }
    }))
    return { actors: lists.flat(), unreachable }
  }

  /** One entity, asked of the node that owns it now (null: never written there and not active). */
  async entity (type: string, key: string): Promise<EntityRow | null> {
    const { system, journal } = this.#opts
    const role = system.roleOf(type)
    if (role === undefined) return null
    const owner = this.placement.ownerOf(type, role, key)
    if (owner instanceof Error || owner === system.node) return await localEntity(system, journal, type, key)
    return await system.actorAt<InspectorMsg>({ node: owner, path: INSPECTOR_PATH })
      .ask<EntityRow | null>((replyTo) => ({ type: 'entity', entityType: type, key, replyTo }), { timeout: ADMIN_ASK_MS })
  }

  /** Changes the roles of `peer` (this node or another) through its role manager. */
  async setRoles (peer: string, roles: readonly string[]): Promise<RolesInfo> {
    const list: readonly NodeRole[] = checkRoles(roles)
    const { system } = this.#opts
    const known = peer === system.node || (this.#opts.p2p?.members() ?? []).some((m) => m.peerId === peer && m.status !== 'down')
    if (!known) throw new UnknownPeerError(`no member ${peer} is up; see plexi admin nodes`)
    return await system.actorAt<RoleManagerMsg>({ node: peer, path: ROLE_MANAGER_PATH })
      .ask<RolesInfo>((replyTo) => ({ type: 'set', roles: list, replyTo }), { timeout: ADMIN_ASK_MS })
  }

  /** The other members as of the last refresh (placement's view). */
  members (): MemberView[] { return this.#members.filter((m) => m.peerId !== this.#opts.system.node) }

  async stop (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.transport?.stop()
  }
}
