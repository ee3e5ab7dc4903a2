/**
 * The name of an entity type together with the messages its entities take: how code addresses
 * entities (`ctx.entity(ROOM, 'general')`), typed, never by a bare string. Declared beside the
 * type's protocol; the EntityType itself is one too.
 */
export interface EntityTypeKey<M> {
  /** `[a-z][a-z0-9-]{0,31}` */
  readonly type: string
  /** Type-level only (never present): ties the message type M to this key. */
  __messages? (msg: M): void
}

/** A typed key for the entity type named `type`. */
export function entityTypeKey<M> (type: string): EntityTypeKey<M> {
  return Object.freeze({ type })
}
