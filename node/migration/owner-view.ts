/**
 * Placement as the migrator reads it (node/mesh/placement.ts implements it): who owns an entity
 * in this node's view, who owned it in the views replaced lately, who may own a role's entities,
 * and which pin wins for an entity.
 */
export interface OwnerView {
  ownerOf (type: string, role: string, key: string): string | Error
  previousOwners (type: string, role: string, key: string): string[]
  /** Whether `peer` may own entities of `role` in this view. */
  holds (peer: string, role: string): boolean
  /** The winning pin of `type/key` in this view (an admin moved it to `peerId`). */
  pinOf (type: string, role: string, key: string): { readonly peerId: string, readonly n: number } | undefined
}
