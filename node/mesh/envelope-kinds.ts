import { ENVELOPE } from '../../protocols/p2p/index.ts'
import type { Envelope } from '../../protocols/p2p/index.ts'

/** At most this many series (labels): a kind past them is counted as `other`, so that a label set
 * never grows without bound whatever the messages are. */
export const MAX_ENVELOPE_KINDS = 64

/** A name fit for a label: a kebab-case word of our own message unions; anything else is `other`. */
const WORD = /^[a-z][a-z0-9-]{0,31}$/

/**
 * Envelopes sent, by what they carry (`plexi_mesh_envelopes_sent_by_kind_total`): an entity
 * message by entity type and message type (`entity agent get-settings`), an actor message by its
 * path's first segment and message type, with a replica request's op (`actor shard replica lease`),
 * replies and failures as such. It tells where a request's mesh messages go.
 */
export class EnvelopeKinds {
  readonly #counts = new Map<string, number>()

  count (envelope: Envelope): void {
    let kind = kindOf(envelope)
    if (!this.#counts.has(kind) && this.#counts.size >= MAX_ENVELOPE_KINDS - 1) kind = 'other'
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1)
  }

  /** Each kind seen and how many were sent. */
  entries (): Iterable<readonly [string, number]> {
    return this.#counts
  }
}

function kindOf (e: Envelope): string {
  switch (e[0]) {
    case ENVELOPE.ENTITY: return `entity ${word(e[1])} ${word(typeOf(e[3]))}`
    case ENVELOPE.ACTOR: {
      const msg = e[2]
      const request = (msg as { request?: { op?: unknown } } | null)?.request
      const op = typeof request === 'object' && request !== null ? ` ${word(request.op)}` : ''
      return `actor ${word(pathName(e[1]))} ${word(typeOf(msg))}${op}`
    }
    case ENVELOPE.REPLY: return 'reply'
    case ENVELOPE.FAILURE: return 'failure'
    default: return 'owner'
  }
}

/** A path's first segment without its version or number (`/shard-12@2/x` → `shard`): one kind for
 * the 256 shard holders. */
function pathName (path: string): string {
  return (path.split('/')[1] ?? '').replace(/@.*$/, '').replace(/-[0-9]+$/, '')
}

function typeOf (msg: unknown): unknown {
  return typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined
}

function word (v: unknown): string {
  return typeof v === 'string' && WORD.test(v) ? v : 'other'
}
