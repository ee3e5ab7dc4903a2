/** A node asked to take an entity (a live migration's adopt) that it may not own now: the old
 * owner lets the entity's messages go on as placement says, and nothing changes here. */
export class MoveRefusedError extends Error {
  override readonly name = 'MoveRefusedError'
  readonly kind = 'conflict'
  readonly entity: string
  constructor (entity: string, why: string) {
    super(`${entity} cannot move here: ${why}`)
    this.entity = entity
  }
}
