import { describe } from '../../protocols/index.ts'
import type { ActorSystem, NodeRole } from '../../actors/index.ts'
import { UnknownPeerError } from './errors.ts'
import type { MemberView } from './membership.ts'
import { INSPECTOR_PATH, localActors, localEntity } from './node-inspector.ts'
import type { ActorRow, EntityRow, InspectorMsg, JournalHeads } from './node-inspector.ts'
import type { Placement } from './placement.ts'
import { ROLE_MANAGER_PATH, checkRoles } from './role-manager.ts'
import type { RoleManagerMsg, RolesInfo } from './role-manager.ts'

/** How long an admin listing waits for each member. */
const ADMIN_ASK_MS = 3_000

export interface ClusterAdminOptions {
  readonly system: ActorSystem
  readonly heads: JournalHeads
  readonly placement: Placement
  /** The other members as heard now (not only as placement last saw them). */
  readonly members: () => readonly MemberView[]
  readonly log: { warn (obj: object, msg: string): void }
}

/**
 * What the admin API asks of the cluster: listings gathered from every member's inspector, one
 * entity asked of its owner, role changes through the target's role manager. A node without a
 * cluster key answers the same questions about itself alone.
 */
export class ClusterAdmin {
  readonly #opts: ClusterAdminOptions

  constructor (opts: ClusterAdminOptions) {
    this.#opts = opts
  }

  /** Every live actor and active entity in the cluster; members that did not answer are named. */
  async actors (kind?: string, entitiesOnly = false): Promise<{ actors: ActorRow[], unreachable: string[] }> {
    const { system, log } = this.#opts
    const unreachable: string[] = []
    const others = this.#opts.members().filter((m) => m.status !== 'down' && m.peerId !== system.node).map((m) => m.peerId)
    const lists = await Promise.all([system.node, ...others].map(async (node) => {
      if (node === system.node) return localActors(system, kind, entitiesOnly)
      try {
        return await system.actorAt<InspectorMsg>({ node, path: INSPECTOR_PATH })
          .ask<ActorRow[]>((replyTo) => ({ type: 'actors', ...(kind !== undefined && { kind }), ...(entitiesOnly && { entities: true }), replyTo }), { timeout: ADMIN_ASK_MS })
      } catch (err) {
        unreachable.push(node)
        log.warn({ peer: node }, `member ${node} did not list its actors: ${describe(err)}`)
        return []
      }
    }))
    return { actors: lists.flat(), unreachable }
  }

  /** One entity, asked of the node that owns it now (null: never written there and not active). */
  async entity (type: string, key: string): Promise<EntityRow | null> {
    const { system, heads, placement } = this.#opts
    const role = system.entityTypes().find((t) => t.type === type)?.role
    if (role === undefined) return null
    const owner = placement.ownerOf(type, role, key)
    if (owner instanceof Error || owner === system.node) return await localEntity(system, heads, type, key)
    return await system.actorAt<InspectorMsg>({ node: owner, path: INSPECTOR_PATH })
      .ask<EntityRow | null>((replyTo) => ({ type: 'entity', entityType: type, key, replyTo }), { timeout: ADMIN_ASK_MS })
  }

  /** Changes the roles of `peer` (this node or another) through its role manager. */
  async setRoles (peer: string, roles: readonly string[]): Promise<RolesInfo> {
    const list: readonly NodeRole[] = checkRoles(roles)
    const { system } = this.#opts
    const known = peer === system.node || this.#opts.members().some((m) => m.peerId === peer && m.status !== 'down')
    if (!known) throw new UnknownPeerError(`no member ${peer} is up; see plexi admin nodes`)
    return await system.actorAt<RoleManagerMsg>({ node: peer, path: ROLE_MANAGER_PATH })
      .ask<RolesInfo>((replyTo) => ({ type: 'set', roles: list, replyTo }), { timeout: ADMIN_ASK_MS })
  }
}
