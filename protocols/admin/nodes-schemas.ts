/**
 * Members as `GET /api/v1/cluster` and `/api/v1/nodes` show them. The member shape is a contract
 * (docs/architecture.md, "External interface"): member = { peerId, roles, status, addresses: { grpc,
 * admin, p2p }, load }. Fields may be added, never renamed or removed.
 */

export const ROLE_NAMES = ['chat', 'ai', 'storage', 'backup', 'plugins'] as const
export const MEMBER_STATUSES = ['joining', 'up', 'suspect', 'draining', 'down'] as const

/** A member as `GET /api/v1/cluster` and `/nodes` show it (memberSchema). */
export interface Member {
  peerId: string
  roles: string[]
  status: typeof MEMBER_STATUSES[number]
  /** web: the origin browsers reach its user listener at (its chat page and gRPC-Web; config
   * web-advertise), absent when it has none a browser can reach (web-listen off or a wildcard). */
  addresses: { grpc: string, admin: string, p2p: string[], web?: string }
  load: { actors: number, entities: number, mailbox: number, rssBytes: number }
  /** Placement weight. */
  capacity: number
  startedAt: number
  version: string
  /** Other members: ms since the epoch of their last heartbeat. */
  lastSeen?: number
  /** It has been up the settle time (a member that joins or comes back takes entities of a role
   * others serve once it has). */
  settled?: boolean
  /** ai members: the llama.cpp models loaded there now (a member without a model loaded may ask
   * one that has it to answer for it, rather than load it cold). */
  models?: string[]
  /** plugins members: the plugin versions up there now. */
  plugins?: Array<{ name: string, version: string }>
  /** plugins members: the registered MCP servers connected there now. */
  servers?: string[]
  /** The latest roster version the member applied (docs/replication.md, "Roster versions"; absent:
   * none yet, or a node alone or of a version without them). */
  rosterVersion?: number
}

export const memberSchema = {
  $id: 'Member',
  type: 'object',
  required: ['peerId', 'roles', 'status', 'addresses', 'load'],
  properties: {
    peerId: { type: 'string' },
    roles: { type: 'array', items: { type: 'string', enum: ROLE_NAMES } },
    status: { type: 'string', enum: MEMBER_STATUSES },
    addresses: {
      type: 'object',
      required: ['grpc', 'admin', 'p2p'],
      properties: {
        grpc: { type: 'string' },
        admin: { type: 'string' },
        web: { type: 'string', description: 'the origin browsers reach its chat page and gRPC-Web at (config web-advertise; absent: none a browser can reach)' },
        p2p: { type: 'array', items: { type: 'string' }, description: 'multiaddrs ending in `/p2p/<peerId>` (empty until the node joins a mesh)' }
      }
    },
    load: {
      type: 'object',
      required: ['actors', 'entities', 'mailbox', 'rssBytes'],
      properties: {
        actors: { type: 'integer' },
        entities: { type: 'integer' },
        mailbox: { type: 'integer', description: 'messages waiting in all mailboxes' },
        rssBytes: { type: 'integer' }
      }
    },
    capacity: { type: 'integer', description: 'placement weight: twice the capacity, about twice the entities' },
    startedAt: { type: 'integer', description: 'ms since the epoch' },
    version: { type: 'string' },
    lastSeen: { type: 'integer', description: 'ms since the epoch of its last heartbeat (other members only)' },
    settled: { type: 'boolean', description: 'it has been up the settle time (failure-timeout, at most 3 s): a member that joins or comes back takes entities of a role others serve once it has, or at once when no settled member holds the role' },
    models: { type: 'array', items: { type: 'string' }, description: 'ai members: the models loaded there now; a member that has not loaded a model has it answered by one of these while it has a free slot, rather than load it cold' },
    plugins: {
      type: 'array',
      description: 'plugins members: the plugin versions up there now (a node without a plugin calls its tools on one of these)',
      items: { type: 'object', required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'string' } } }
    },
    servers: { type: 'array', items: { type: 'string' }, description: 'plugins members: the registered MCP servers connected there now' },
    rosterVersion: { type: 'integer', description: 'the latest version of the storage roster the member applied (roster versions: kept and agreed, not yet used by owners); every member of a cluster names the same one once changes have settled' }
  }
} as const
