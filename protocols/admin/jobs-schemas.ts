/** Jobs (`/api/v1/jobs`): long operations with progress, on whichever member runs them. */

/** What a job does (drains, decommissions, rebalances and migrations move entities; a repair
 * compares replicas; a backup makes one, a verify checks one; a reindex rebuilds a node's search
 * index from its replica store; a pull downloads a model and copies it to the other ai members). */
export const JOB_KINDS = ['drain', 'decommission', 'rebalance', 'migrate', 'repair', 'backup', 'verify', 'restore', 'sweep', 'erase', 'retention', 'reindex', 'pull'] as const
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
