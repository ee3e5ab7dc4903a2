import { NODE_ROLES, isNodeRole } from '../../actors/index.ts'
import type { Behavior, NodeRole, ReplyTo } from '../../actors/index.ts'
import { InvalidRolesError } from './errors.ts'
import { shown } from '../../protocols/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** The roles of a node, as the role manager reports them. */
export interface RolesInfo {
  readonly peerId: string
  readonly roles: readonly NodeRole[]
  /** The roles before this change (a `set` reply only). */
  readonly previous?: readonly NodeRole[]
}

export type RoleManagerMsg =
  | { readonly type: 'get', readonly replyTo: ReplyTo<RolesInfo> }
  /** Replaces the node's roles (from the admin API, on this node or another). */
  | { readonly type: 'set', readonly roles: readonly string[], readonly replyTo: ReplyTo<RolesInfo> }

/** Where the role manager lives on every node (other nodes address it there). */
export const ROLE_MANAGER_PATH = systemPath('role-manager', 1)

/** The node's roles as a value the rest of the node reads; only the role manager changes it. */
export class NodeRoles {
  #roles: readonly NodeRole[]

  constructor (roles: readonly NodeRole[]) {
    this.#roles = [...roles]
  }

  get current (): readonly NodeRole[] { return this.#roles }

  has (role: NodeRole): boolean { return this.#roles.includes(role) }

  /** @internal the role manager's */
  replace (roles: readonly NodeRole[]): void { this.#roles = [...roles] }
}

/**
 * The role manager: the one actor that changes this node's roles. A change is applied at once
 * (placement recomputes; entities whose role this node dropped are handed off, new ones go
 * where placement now says) and announced to the cluster, and lasts until the node restarts
 * (its --role then applies again). Changes are serialized by the mailbox.
 */
export function roleManager (opts: {
  readonly peerId: string
  readonly roles: NodeRoles
  /** Applies a change: placement, hand-off, announcement. */
  readonly onChange: (roles: readonly NodeRole[], previous: readonly NodeRole[]) => void
}): Behavior<RoleManagerMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      // messages may come off the wire: check them as any input
      if (msg.type === 'get') {
        ctx.reply(msg.replyTo, { peerId: opts.peerId, roles: opts.roles.current })
        return undefined
      }
      if (msg.type !== 'set') throw new InvalidRolesError(`unknown role manager request ${shown((msg as { type?: unknown }).type, 64)}`)
      const roles = checkRoles(msg.roles)
      const previous = opts.roles.current
      if (roles.join(',') !== previous.join(',')) {
        opts.roles.replace(roles)
        ctx.log.info({ roles, previous }, `roles changed from ${previous.join(',')} to ${roles.join(',')} (until this node restarts)`)
        opts.onChange(roles, previous)
      }
      ctx.reply(msg.replyTo, { peerId: opts.peerId, roles, previous })
      return undefined
    }
  }
}

/** A role list as sent: known names, at least one, no duplicates; `all` alone means every role.
 * Returned in the canonical order. */
export function checkRoles (input: unknown): NodeRole[] {
  const expected = `a list of ${NODE_ROLES.join(', ')} (at least one), or all`
  if (!Array.isArray(input) || input.length === 0 || input.length > NODE_ROLES.length) throw new InvalidRolesError(`roles: expected ${expected}`)
  if (input.length === 1 && input[0] === 'all') return [...NODE_ROLES]
  for (const role of input) {
    if (!isNodeRole(role)) throw new InvalidRolesError(`roles: ${shown(role, 64)} is not a role; expected ${expected}`)
  }
  if (new Set(input).size !== input.length) throw new InvalidRolesError('roles: a role is listed twice')
  return NODE_ROLES.filter((r) => (input as string[]).includes(r))
}
