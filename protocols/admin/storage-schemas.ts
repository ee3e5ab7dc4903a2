/** The storage nodes (`GET /api/v1/storage`) and their scrub (`/api/v1/scrub`). */

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
