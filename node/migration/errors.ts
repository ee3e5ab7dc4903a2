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

/** A drain or decommission that would leave the cluster short (the only member with a role, too
 * few storage nodes for the replication factor), or one asked of the node serving the request. */
export class LeaveRefusedError extends Error {
  override readonly name = 'LeaveRefusedError'
  readonly kind = 'conflict'
  constructor (message: string) {
    super(message)
  }
}

/** An admin's job asked a node where its leave stands, and that node is not leaving: the process
 * that was asked to leave has exited and another one runs on its identity (it was restarted). */
export class NotLeavingError extends Error {
  override readonly name = 'NotLeavingError'
  readonly kind = 'conflict'
  constructor (node: string) {
    super(`${node} is not leaving: the process asked to leave has exited, and this one started since`)
  }
}

/** A node started on the data dir of a node that was decommissioned. */
export class DecommissionedError extends Error {
  override readonly name = 'DecommissionedError'
  readonly kind = 'conflict'
  constructor (dataDir: string, peerId: string | undefined, at: string | undefined) {
    super(`the data dir ${dataDir} belongs to node ${peerId ?? '(unknown)'}, decommissioned${at !== undefined ? ` at ${at}` : ''}: it left the cluster for good and its data was handed to other members. Start a new node with an empty --data-dir (or remove ${dataDir} once you no longer need it)`)
  }
}
