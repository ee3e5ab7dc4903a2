/** Roles a node can hold; each entity type needs one (placement uses it). */
export const NODE_ROLES = ['chat', 'ai', 'storage', 'backup', 'plugins'] as const
export type NodeRole = typeof NODE_ROLES[number]

export function isNodeRole (value: unknown): value is NodeRole {
  return typeof value === 'string' && (NODE_ROLES as readonly string[]).includes(value)
}
