/**
 * JSON schemas of the admin HTTP API (`/api/v1`). Shapes under "External interface" in the
 * architecture are a contract: member = { peerId, roles, status, addresses: { grpc, admin, p2p },
 * load }. Fields may be added, never renamed or removed.
 */
import { CLIENT_ID_PATTERN, CLIENT_ID_RULE } from '../limits.ts'
import { ROOM_NAME_PATTERN, USER_NAME_PATTERN } from '../names.ts'

export const ROLE_NAMES = ['chat', 'ai', 'storage', 'backup'] as const
export const MEMBER_STATUSES = ['joining', 'up', 'suspect', 'draining', 'down'] as const

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'stable, for scripts (e.g. USER_EXISTS, FST_ERR_VALIDATION)' },
    error: { type: 'string' },
    message: { type: 'string', description: 'what went wrong, naming the field for bad input' }
  }
} as const

/** A member as `GET /api/v1/cluster` and `/nodes` show it (memberSchema). */
export interface Member {
  peerId: string
  roles: string[]
  status: typeof MEMBER_STATUSES[number]
  addresses: { grpc: string, admin: string, p2p: string[] }
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
        p2p: { type: 'array', items: { type: 'string' }, description: 'multiaddrs ending in /p2p/<peerId> (empty until the node joins a mesh)' }
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
    models: { type: 'array', items: { type: 'string' }, description: 'ai members: the models loaded there now; a member that has not loaded a model has it answered by one of these while it has a free slot, rather than load it cold' }
  }
} as const

export const actorSchema = {
  $id: 'Actor',
  type: 'object',
  required: ['kind', 'path', 'key', 'status', 'mailbox', 'node'],
  properties: {
    kind: { type: 'string', description: 'entity type (room, users, ...) or actor kind' },
    path: { type: 'string' },
    key: { type: ['string', 'null'], description: 'the entity key; null for plain actors' },
    status: { type: 'string', enum: ['starting', 'running', 'suspended', 'stopping', 'stopped'] },
    mailbox: { type: 'integer' },
    node: { type: 'string', description: 'peer id of the node it lives on' }
  }
} as const

export const entitySchema = {
  $id: 'Entity',
  type: 'object',
  required: ['type', 'key', 'node', 'active', 'seq'],
  properties: {
    type: { type: 'string' },
    key: { type: 'string' },
    node: { type: 'string' },
    active: { type: 'boolean' },
    status: { type: ['string', 'null'] },
    mailbox: { type: 'integer' },
    seq: { type: 'integer', description: 'last journaled seq' },
    role: { type: 'string' },
    partition: { type: 'integer', description: 'the partition its journal is in' },
    replicas: {
      type: 'array',
      description: 'the replicas of that partition: status as the answering node sees it, the highest epoch each promised, records behind the fullest (null: did not answer)',
      items: {
        type: 'object',
        required: ['peerId', 'status', 'epoch', 'lag'],
        properties: { peerId: { type: 'string' }, status: { type: 'string' }, epoch: { type: ['integer', 'null'] }, lag: { type: ['integer', 'null'] } }
      }
    }
  }
} as const

export const userSchema = {
  $id: 'User',
  type: 'object',
  required: ['name', 'createdAt'],
  properties: { name: { type: 'string' }, createdAt: { type: 'integer' } }
} as const

export const newUserSchema = {
  $id: 'NewUser',
  type: 'object',
  required: ['name', 'token', 'createdAt'],
  properties: {
    name: { type: 'string' },
    token: { type: 'string', description: 'shown once: only its hash is stored' },
    createdAt: { type: 'integer' }
  }
} as const

export const roomSchema = {
  $id: 'Room',
  type: 'object',
  required: ['name', 'createdAt', 'createdBy', 'active'],
  properties: {
    name: { type: 'string' },
    createdAt: { type: 'integer' },
    createdBy: { type: 'string' },
    active: { type: 'boolean', description: 'activated in memory on this node now' }
  }
} as const

export const modelSchema = {
  $id: 'Model',
  type: 'object',
  required: ['name', 'sizeBytes', 'status', 'loaded'],
  properties: {
    name: { type: 'string', description: 'the file name without .gguf (or .json for a model on an OpenAI-compatible server)' },
    sizeBytes: { type: 'integer' },
    runtime: { type: 'string', enum: ['llama.cpp', 'openai-http'] },
    status: { type: 'string', enum: ['ready', 'invalid'], description: 'invalid files are never loaded' },
    error: { type: 'string', description: 'why an invalid file was refused' },
    architecture: { type: 'string' },
    quantization: { type: 'string', description: 'most common weight type: F16, TQ2_0, Q4_K, ...' },
    parameters: { type: 'integer' },
    contextLength: { type: 'integer' },
    loaded: { type: 'array', items: { type: 'string' }, description: 'peer ids of the nodes where it is loaded' },
    memoryBytes: { type: 'integer', description: 'estimated memory it holds on this node while loaded' },
    backend: { type: 'string', description: 'where it computes on this node while loaded: cpu, cuda, vulkan, or the server URL' },
    active: { type: 'integer', description: 'requests running on this node' },
    queued: { type: 'integer', description: 'requests waiting for a free context on this node' },
    lastUsedAt: { type: 'integer', description: 'ms since the epoch of its last request on this node' }
  }
} as const

export const modelNameParam = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } as const

export const userNameParam = { type: 'string', pattern: USER_NAME_PATTERN.source } as const
export const roomNameParam = { type: 'string', pattern: ROOM_NAME_PATTERN.source } as const
/** A caller's id of a request, which makes its retry safe (POST /users). */
export const clientId = { type: 'string', pattern: CLIENT_ID_PATTERN.source, description: `the caller's id of this request (${CLIENT_ID_RULE}): a retry with the same id is safe` } as const

/** One replica of a partition as GET /api/v1/partitions shows it. */
export interface ReplicaRow {
  readonly peerId: string
  /** The member's status as the answering node sees it ('unknown': not heard from since it started). */
  readonly status: string
  /** Entities, records and the highest epoch the replica holds of the partition; null when the
   * node did not answer. */
  readonly entities: number | null
  readonly records: number | null
  readonly epoch: number | null
  /** Records behind the partition's fullest replica; null when not known. */
  readonly lag: number | null
  /** The root of the replica's Merkle tree of the partition (hex): equal roots, equal records.
   * Null when not known. */
  readonly merkleRoot: string | null
  /** When anti-entropy or a repair last compared this replica with another (ISO 8601); null: not
   * since the node started, or not known. */
  readonly lastRepair?: string | null
  /** Records this replica took from others for the partition since its node started (missed,
   * missing or damaged); null: not known. */
  readonly recordsRepaired?: number | null
}

export interface PartitionRow {
  readonly partition: number
  readonly writeQuorum: number
  readonly replicas: ReplicaRow[]
}

export const partitionSchema = {
  $id: 'Partition',
  type: 'object',
  required: ['partition', 'writeQuorum', 'replicas'],
  properties: {
    partition: { type: 'integer' },
    writeQuorum: { type: 'integer', description: 'replicas that must hold a write before it is acknowledged' },
    replicas: {
      type: 'array',
      items: {
        type: 'object',
        required: ['peerId', 'status', 'entities', 'records', 'epoch', 'lag'],
        properties: {
          peerId: { type: 'string' },
          status: { type: 'string', description: 'the member\'s status as the answering node sees it; unknown: not heard from since it started' },
          entities: { type: ['integer', 'null'], description: 'entities this replica holds of the partition (null: the node did not answer)' },
          records: { type: ['integer', 'null'], description: 'journal records it holds of the partition' },
          epoch: { type: ['integer', 'null'], description: 'the highest epoch it promised for an entity of the partition' },
          lag: { type: ['integer', 'null'], description: 'records behind the replica of this partition that holds the most' },
          merkleRoot: { type: ['string', 'null'], description: 'the root of this replica\'s Merkle tree of the partition, hex: replicas with equal roots hold the same records (null: not known)' },
          lastRepair: { type: ['string', 'null'], description: 'when anti-entropy or a repair last compared this replica with another, ISO 8601 (null: not since its node started, or not known)' },
          recordsRepaired: { type: ['integer', 'null'], description: 'records this replica took from the others for the partition since its node started: missed while down, missing or damaged (null: not known)' }
        }
      }
    }
  }
} as const

/** A repair job (POST /api/v1/repairs): every replica of the partitions compared with every other
 * live replica of them, what differs moved. */
export interface RepairJob {
  readonly id: string
  readonly state: 'running' | 'done' | 'failed'
  /** The partition asked for, or null: all of them. */
  readonly partition: number | null
  readonly partitions: number
  readonly partitionsDone: number
  /** Replica-to-replica comparisons made (each replica with each other live replica of its
   * partition); 0 on a node alone. */
  readonly comparisons: number
  /** Records replicas took after their heads (missed) and before (missing or damaged). */
  readonly recordsFilled: number
  readonly recordsRepaired: number
  /** Bytes replicas took from each other (hashes, digests and records). */
  readonly bytes: number
  /** Entities whose replicas' logs part (left to their owners). */
  readonly divergent: number
  /** Comparisons that could not be made (a replica down or not answering), in words. */
  readonly failures: string[]
  readonly startedAt: string
  readonly endedAt: string | null
}

export const repairJobSchema = {
  $id: 'RepairJob',
  type: 'object',
  required: ['id', 'state', 'partition', 'partitions', 'partitionsDone', 'comparisons', 'recordsFilled', 'recordsRepaired', 'bytes', 'divergent', 'failures', 'startedAt', 'endedAt'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    partition: { type: ['integer', 'null'], description: 'the partition repaired, or null: all' },
    partitions: { type: 'integer', description: 'partitions the job compares' },
    partitionsDone: { type: 'integer', description: 'partitions compared so far (the progress)' },
    comparisons: { type: 'integer', description: 'replica-to-replica comparisons made: each replica with each other live replica of its partition (0 on a node alone)' },
    recordsFilled: { type: 'integer', description: 'records replicas took after their heads (missed while down)' },
    recordsRepaired: { type: 'integer', description: 'records replicas took before their heads (missing or damaged)' },
    bytes: { type: 'integer', description: 'bytes replicas took from each other: tree hashes, digests and records' },
    divergent: { type: 'integer', description: 'entities whose replicas\' logs part after a point (left to their owners\' recovery)' },
    failures: { type: 'array', items: { type: 'string' }, description: 'comparisons that could not be made, in words' },
    startedAt: { type: 'string' },
    endedAt: { type: ['string', 'null'] }
  }
} as const

/** Scrub on one storage node (GET/POST /api/v1/scrub). */
export interface ScrubRow {
  readonly peerId: string
  /** False when the node did not answer (the other fields are then null). */
  readonly answered: boolean
  readonly running: boolean | null
  /** Values checked / records held when the pass started (1 between passes). */
  readonly progress: number | null
  readonly passes: number | null
  readonly scanned: number | null
  readonly bytes: number | null
  readonly corruptFound: number | null
  readonly repaired: number | null
  readonly quarantined: number | null
  readonly lastPass: string | null
}

export const scrubRowSchema = {
  $id: 'ScrubRow',
  type: 'object',
  required: ['peerId', 'answered', 'running', 'progress', 'passes', 'scanned', 'bytes', 'corruptFound', 'repaired', 'quarantined', 'lastPass'],
  properties: {
    peerId: { type: 'string' },
    answered: { type: 'boolean', description: 'false: the node did not answer (the rest is null)' },
    running: { type: ['boolean', 'null'] },
    progress: { type: ['number', 'null'], description: 'values checked in the running pass / records held when it started (1 between passes)' },
    passes: { type: ['integer', 'null'] },
    scanned: { type: ['integer', 'null'], description: 'values checked in the running or last pass' },
    bytes: { type: ['integer', 'null'], description: 'bytes read and checked since the node started' },
    corruptFound: { type: ['integer', 'null'], description: 'values whose SHA-256 seal failed (or records missing before their head) since the node started' },
    repaired: { type: ['integer', 'null'], description: 'damaged or missing values put back from a healthy replica' },
    quarantined: { type: ['integer', 'null'], description: 'damaged values not yet repaired' },
    lastPass: { type: ['string', 'null'], description: 'when the last pass ended, ISO 8601 (null: none since the node started)' }
  }
} as const

/** A storage node as GET /api/v1/storage shows it. */
export interface StorageNodeRow {
  readonly peerId: string
  readonly status: string
  /** active: placement chooses it; leaving: it lost the storage role and hands its partitions off;
   * replaced: it stayed down past replica-replace-after and others took its partitions. */
  readonly state: 'active' | 'leaving' | 'replaced'
  /** A leaving node's hand-off (null: active, or it did not answer). */
  readonly handOff: { state: 'idle' | 'handing-off' | 'done', partitions: number, done: number, waiting: string[], since: string | null } | null
  /** Its replicas, as it tells: partitions it is a replica of, those it holds whole (the others
   * still catch up), what holds them back, the nodes it replaced (null: down, or no answer). */
  readonly catchUp: { partitions: number, caughtUp: number, waiting: string[], replaced: string[] } | null
}

export const storageNodeSchema = {
  $id: 'StorageNode',
  type: 'object',
  required: ['peerId', 'status', 'state', 'handOff', 'catchUp'],
  properties: {
    peerId: { type: 'string' },
    status: { type: 'string', description: 'the member\'s status as the answering node sees it' },
    state: { type: 'string', enum: ['active', 'leaving', 'replaced'], description: 'active: a candidate for replicas; leaving: it lost the storage role and hands its partitions off to their new replicas; replaced: it stayed down past replica-replace-after and its partitions have new replicas (heard again, it is active and catches up)' },
    catchUp: {
      type: ['object', 'null'],
      description: 'its replicas as it tells: a partition it became a replica of counts as a full replica only once it pulled everything from the other holders (null: down, or it did not answer)',
      required: ['partitions', 'caughtUp', 'waiting', 'replaced'],
      properties: {
        partitions: { type: 'integer', description: 'partitions it is a replica of' },
        caughtUp: { type: 'integer', description: 'of those, the ones it holds whole; the others still catch up (learners)' },
        waiting: { type: 'array', items: { type: 'string' }, description: 'what holds the others back, in words' },
        replaced: { type: 'array', items: { type: 'string' }, description: 'storage nodes it found down past replica-replace-after and replaced, since it started' }
      }
    },
    handOff: {
      type: ['object', 'null'],
      description: 'a leaving node\'s hand-off: done means every partition it held is on its new replicas and it may be stopped (null: active, or it did not answer)',
      required: ['state', 'partitions', 'done', 'waiting', 'since'],
      properties: {
        state: { type: 'string', enum: ['idle', 'handing-off', 'done'] },
        partitions: { type: 'integer', description: 'partitions it holds records of and is no longer a replica of' },
        done: { type: 'integer', description: 'of those, the ones every new replica took whole' },
        waiting: { type: 'array', items: { type: 'string' }, description: 'what is in the way, in words' },
        since: { type: ['string', 'null'] }
      }
    }
  }
} as const

/** What a job does (drains, decommissions, rebalances and migrations move entities; a repair
 * compares replicas; a backup makes one, a verify checks one). */
export const JOB_KINDS = ['drain', 'decommission', 'rebalance', 'migrate', 'repair', 'backup', 'verify', 'restore', 'sweep'] as const
export type JobKind = typeof JOB_KINDS[number]
/** running, then exactly one of the others, for good. */
export const JOB_STATES = ['running', 'done', 'failed', 'cancelled'] as const
export type JobState = typeof JOB_STATES[number]

/** Most `left` entries a job shows: enough to see what is stuck and why, few enough that every
 * member's jobs fit one answer (4 MiB frames). */
export const MAX_JOB_LEFT = 50
/** Longest `left` item and reason (characters): an entity id is at most 233, a peer id 128. */
export const MAX_JOB_ITEM = 256
export const MAX_JOB_WHY = 256
/** Longest `message` and `error`: one line on a terminal, a sentence more in the error. */
export const MAX_JOB_MESSAGE = 300
export const MAX_JOB_ERROR = 500
/** Longest `target`: a peer id (128) or an entity TYPE/KEY (32 + 1 + 200). */
export const MAX_JOB_TARGET = 256
/**
 * A job id: `KIND-N-XXXX`, e.g. `drain-3-k7f2`: N counts the jobs of that kind the node started
 * since it started, XXXX is the end of its peer id (its last four letters and digits), so ids of
 * different members differ and an operator can tell which node runs a job from its id.
 */
export const JOB_ID_PATTERN = new RegExp(`^(${JOB_KINDS.join('|')})-[1-9][0-9]{0,11}-[A-Za-z0-9]{1,4}$`)

/** A long operation with progress (GET /api/v1/jobs): kept in memory by the node that runs it. */
export interface Job {
  readonly id: string
  readonly kind: JobKind
  /** Peer id of the node that runs it. */
  readonly node: string
  /** What it works on: a peer id, an entity TYPE/KEY, `partition/N`, or null (the whole cluster). */
  readonly target: string | null
  readonly state: JobState
  /** Items the job has to do (entities to move, partitions to compare); 0 while not known. */
  readonly total: number
  readonly done: number
  readonly failed: number
  /** What is left and why (at most MAX_JOB_LEFT): what an operator reads when a job stalls. */
  readonly left: ReadonlyArray<{ readonly item: string, readonly why: string }>
  /** One human line: what it does now, or how it ended. */
  readonly message: string
  /** Why it failed (null unless failed). */
  readonly error: string | null
  readonly startedAt: string
  readonly endedAt: string | null
}

export const jobSchema = {
  $id: 'Job',
  type: 'object',
  required: ['id', 'kind', 'node', 'target', 'state', 'total', 'done', 'failed', 'left', 'message', 'error', 'startedAt', 'endedAt'],
  properties: {
    id: { type: 'string', description: 'KIND-N-XXXX, e.g. drain-3-k7f2: the Nth job of its kind on the node whose peer id ends in XXXX' },
    kind: { type: 'string', enum: JOB_KINDS },
    node: { type: 'string', description: 'peer id of the node that runs it' },
    target: { type: ['string', 'null'], description: 'what it works on: a peer id, an entity TYPE/KEY, partition/N, or null (all)' },
    state: { type: 'string', enum: JOB_STATES, description: 'running, then done, failed or cancelled' },
    total: { type: 'integer', description: 'items to do (0 while not known)' },
    done: { type: 'integer', description: 'items done' },
    failed: { type: 'integer', description: 'items that could not be done' },
    left: {
      type: 'array',
      maxItems: MAX_JOB_LEFT,
      description: `what is left and why (at most ${MAX_JOB_LEFT})`,
      items: { type: 'object', required: ['item', 'why'], properties: { item: { type: 'string' }, why: { type: 'string' } } }
    },
    message: { type: 'string', description: 'what it does now, or how it ended, in one line' },
    error: { type: ['string', 'null'], description: 'why it failed (null unless failed)' },
    startedAt: { type: 'string', description: 'ISO 8601' },
    endedAt: { type: ['string', 'null'], description: 'ISO 8601; null while running' }
  }
} as const

export const backupSchema = {
  $id: 'Backup',
  type: 'object',
  required: ['id', 'state', 'note', 'keyFingerprint', 'node', 'startedAt', 'endedAt', 'error', 'root', 'manifest', 'stats', 'checkpoint', 'resumed'],
  properties: {
    id: { type: 'string', description: 'bk-<UTC time>-<6 hex>' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    note: { type: 'string' },
    keyFingerprint: { type: 'string', description: 'the fingerprint of the backup key that made it (16 hex digits): a restore needs that key' },
    node: { type: 'string', description: 'peer id of the node that made it (the one that resumed it, when its first node stopped)' },
    startedAt: { type: 'integer', description: 'ms since the epoch' },
    endedAt: { type: ['integer', 'null'], description: 'ms since the epoch; null while running' },
    error: { type: ['string', 'null'], description: 'why it failed' },
    root: { type: ['string', 'null'], description: 'Merkle root (SHA-256, hex) over every chunk\'s id and digest: what verify checks against' },
    manifest: {
      type: ['object', 'null'],
      description: 'where its sealed manifest is kept',
      required: ['digest', 'bytes', 'holders'],
      properties: { digest: { type: 'string' }, bytes: { type: 'integer' }, holders: { type: 'array', items: { type: 'string' } } }
    },
    stats: {
      type: ['object', 'null'],
      description: 'what it took: partitions, entities, records, bytes (plaintext), chunks, and the chunks and bytes no earlier backup had stored',
      required: ['partitions', 'entities', 'records', 'bytes', 'chunks', 'newChunks', 'newBytes'],
      properties: {
        partitions: { type: 'integer' }, entities: { type: 'integer' }, records: { type: 'integer' }, bytes: { type: 'integer' },
        chunks: { type: 'integer' }, newChunks: { type: 'integer' }, newBytes: { type: 'integer' }
      }
    },
    checkpoint: {
      type: ['object', 'null'],
      description: 'while running: where the sealed partial manifest of the partitions done so far is kept (a node resuming the backup starts from it); null otherwise',
      required: ['digest', 'bytes', 'holders'],
      properties: { digest: { type: 'string' }, bytes: { type: 'integer' }, holders: { type: 'array', items: { type: 'string' } } }
    },
    resumed: { type: 'integer', description: 'how many times it was resumed after the node making it stopped (by that node started again, or by another node holding the key)' }
  }
} as const

export const restoreSchema = {
  $id: 'Restore',
  type: 'object',
  required: ['id', 'backup', 'selection', 'state', 'node', 'total', 'cursor', 'startedAt', 'endedAt', 'error', 'resumed'],
  properties: {
    id: { type: 'string', description: 'rs-<UTC time>-<6 hex>' },
    backup: { type: 'string', description: 'the backup it restores' },
    selection: {
      type: 'object',
      description: 'what it takes back: empty for everything the backup holds',
      properties: { room: { type: 'string' }, user: { type: 'string' }, since: { type: 'number', description: 'ms since the epoch' } }
    },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    node: { type: 'string', description: 'peer id of the node restoring it (the one that resumed it, when its first node stopped)' },
    total: { type: 'integer', description: 'entities it restores' },
    cursor: { type: 'integer', description: 'every entity before this one (in the order it takes them) is restored' },
    startedAt: { type: 'integer', description: 'ms since the epoch' },
    endedAt: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'], description: 'why it failed' },
    resumed: { type: 'integer', description: 'how many times it was resumed after its node stopped' }
  }
} as const

const memberLoadSchema = {
  type: 'object',
  required: ['peerId', 'status', 'rssBytes', 'actors', 'entities', 'mailbox'],
  properties: {
    peerId: { type: 'string' },
    status: { type: 'string' },
    rssBytes: { type: 'number' },
    actors: { type: 'number' },
    entities: { type: 'number' },
    mailbox: { type: 'number' }
  }
} as const

export const statsSampleSchema = {
  $id: 'StatsSample',
  type: 'object',
  required: ['ts', 'postsPerSec', 'deliveriesPerSec', 'asksPerSec', 'askMeanMs', 'askP99Ms', 'tokensPerSec', 'rssBytes', 'heapUsedBytes', 'actors', 'entities', 'members'],
  properties: {
    ts: { type: 'integer', description: 'ms since the epoch: the end of the interval' },
    postsPerSec: { type: 'number', description: 'chat messages posted and acknowledged through this node' },
    deliveriesPerSec: { type: 'number', description: 'chat messages written to Subscribe streams on this node' },
    asksPerSec: { type: 'number', description: 'actor asks that ended (reply, error or timeout)' },
    askMeanMs: { type: ['number', 'null'], description: 'null: no ask ended in the interval' },
    askP99Ms: { type: ['number', 'null'], description: 'the histogram bucket bound the 99th percentile falls in' },
    tokensPerSec: { type: 'number', description: 'tokens generated on this node' },
    rssBytes: { type: 'number' },
    heapUsedBytes: { type: 'number' },
    actors: { type: 'number' },
    entities: { type: 'number' },
    members: { type: 'array', items: memberLoadSchema, description: 'this node first, then every member it knows, with the load its record last said' }
  }
} as const

export const logEntrySchema = {
  $id: 'LogEntry',
  type: 'object',
  required: ['seq', 'time', 'level', 'msg', 'component', 'fields'],
  properties: {
    seq: { type: 'integer', description: 'counts the lines the node logged since it started' },
    time: { type: 'integer', description: 'ms since the epoch' },
    level: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
    msg: { type: 'string' },
    component: { type: ['string', 'null'] },
    fields: { type: 'object', additionalProperties: true }
  }
} as const

export const auditRecordSchema = {
  $id: 'AuditRecord',
  type: 'object',
  required: ['seq', 'ts', 'actor', 'node', 'ip', 'action', 'target', 'outcome', 'status', 'detail', 'prev', 'hash'],
  properties: {
    seq: { type: 'integer', description: '1, 2, 3, ... without gaps' },
    ts: { type: 'integer', description: 'ms since the epoch' },
    actor: { type: 'string', description: 'admin (the admin token), or unauthenticated (a missing or wrong token)' },
    node: { type: 'string', description: 'the node that served the request' },
    ip: { type: 'string', description: 'the client address that node saw' },
    action: { type: 'string', description: 'METHOD and route pattern: POST /api/v1/nodes/:peerId/drain' },
    target: { type: 'string', description: 'the URL path' },
    outcome: { type: 'string', enum: ['ok', 'refused', 'failed'] },
    status: { type: 'integer', description: 'the HTTP status answered' },
    detail: { type: 'string', description: 'the request body, clipped (nothing of the answer: a new user\'s token is never recorded)' },
    prev: { type: 'string', description: 'the hash of the record before (64 zeros for the first)' },
    hash: { type: 'string', description: 'SHA-256 (hex) of prev and this record\'s fields' }
  }
} as const

export const ADMIN_SCHEMAS = [errorSchema, memberSchema, actorSchema, entitySchema, userSchema, newUserSchema, roomSchema, modelSchema, partitionSchema, repairJobSchema, scrubRowSchema, storageNodeSchema, jobSchema, backupSchema, restoreSchema, statsSampleSchema, logEntrySchema, auditRecordSchema] as const
