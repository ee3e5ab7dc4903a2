import { createHash } from 'node:crypto'
import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

/** How an audited request ended: done, refused (a 4xx: bad input, not allowed, not authenticated),
 * or failed (a 5xx). */
export const AUDIT_OUTCOMES = ['ok', 'refused', 'failed'] as const
export type AuditOutcome = typeof AUDIT_OUTCOMES[number]

/** What is audited of one admin request (nothing of what it answered: a new user's token never). */
export interface AuditEntry {
  /** Who: `admin` (the admin token), `unauthenticated` (no token, or a wrong one). */
  readonly actor: string
  /** The node that served the request. */
  readonly node: string
  /** The client's address as that node saw it. */
  readonly ip: string
  /** `METHOD /route`, the route's pattern: `POST /api/v1/nodes/:peerId/drain`. */
  readonly action: string
  /** The URL's path: what the action was on (`/api/v1/nodes/12D3.../drain`). */
  readonly target: string
  readonly outcome: AuditOutcome
  /** The HTTP status answered. */
  readonly status: number
  /** The request's body, clipped (`{"name":"alice"}`), or ''. */
  readonly detail: string
}

/** One record of the trail: the entry, when it was recorded, and its place in the chain. */
export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3, ...: the journal's seq (no gaps: a gap is a record removed). */
  readonly seq: number
  /** ms since the epoch */
  readonly ts: number
  /** The hash of the record before (GENESIS for the first). */
  readonly prev: string
  /** SHA-256 over `prev` and this record's fields (auditHash). */
  readonly hash: string
}

export type AuditEvent = { readonly type: 'recorded', readonly ts: number, readonly entry: AuditEntry, readonly prev: string, readonly hash: string }

export type AuditMsg =
  /** Appends one record; replies with its seq and hash once it is durable. */
  | { readonly type: 'record', readonly entry: AuditEntry, readonly replyTo: ReplyTo<{ seq: number, hash: string }> }
  /** Records with seq > after, oldest first, at most `limit`. */
  | { readonly type: 'list', readonly after: number, readonly limit: number, readonly replyTo: ReplyTo<AuditRecord[]> }
  /** The last record's seq and hash (0 and GENESIS: none yet). */
  | { readonly type: 'head', readonly replyTo: ReplyTo<{ seq: number, hash: string }> }

export interface AuditState {
  /** Records so far (the last one's seq). */
  readonly count: number
  /** The last record's hash. */
  readonly head: string
}

/** The cluster's audit trail: `audit/cluster`, a single entity. */
export const AUDIT = entityTypeKey<AuditMsg>('audit')
export const AUDIT_LOG_KEY = 'cluster'
/** The `prev` of the first record. */
export const GENESIS = '0'.repeat(64)
/** Most records one `list` answers. */
export const MAX_AUDIT_PAGE = 1000

/** The limits of an entry's fields: what a record may hold, however it was asked for. */
export const AUDIT_FIELD_LIMITS = { actor: 64, node: 128, ip: 64, action: 200, target: 600, detail: 1000 } as const

/** The hash of a record: SHA-256 (hex) of the previous record's hash and this record's fields, in a
 * fixed order, so that changing, removing or reordering any record breaks every hash after it. */
export function auditHash (prev: string, ts: number, entry: AuditEntry): string {
  const fields = [ts, entry.actor, entry.node, entry.ip, entry.action, entry.target, entry.outcome, entry.status, entry.detail]
  return createHash('sha256').update(`${prev}\n${JSON.stringify(fields)}`).digest('hex')
}

/** Where a chain of records read in order breaks, if it does: `from` is the seq and hash the first
 * record must follow (0 and GENESIS from the start). */
export function verifyAuditChain (records: readonly AuditRecord[], from: { seq: number, hash: string } = { seq: 0, hash: GENESIS }):
{ ok: true, seq: number, hash: string } | { ok: false, brokenAt: number, reason: string } {
  let { seq, hash } = from
  for (const r of records) {
    if (r.seq !== seq + 1) return { ok: false, brokenAt: seq + 1, reason: `record ${seq + 1} is missing (the next is ${r.seq})` }
    if (r.prev !== hash) return { ok: false, brokenAt: r.seq, reason: `record ${r.seq} does not follow record ${seq}: its prev is not that record's hash` }
    if (auditHash(r.prev, r.ts, r) !== r.hash) return { ok: false, brokenAt: r.seq, reason: `record ${r.seq} was changed: its fields do not give its hash` }
    seq = r.seq
    hash = r.hash
  }
  return { ok: true, seq, hash }
}

const AUDIT_MSG_TYPES = Object.keys({ record: true, list: true, head: true } satisfies Record<AuditMsg['type'], true>)

/** The audit log's EntityType.check: every field of an entry within its limit. */
export function checkAuditMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'audit message')
  switch (m.type) {
    case 'record': {
      const e = m.object('entry')
      for (const [field, max] of Object.entries(AUDIT_FIELD_LIMITS)) e.string(field, max, field === 'detail' ? 0 : 1)
      e.oneOf('outcome', AUDIT_OUTCOMES)
      e.integer('status', 100, 599)
      m.replyTo()
      return
    }
    case 'list':
      m.integer('after', 0, Number.MAX_SAFE_INTEGER)
      m.integer('limit', 1, MAX_AUDIT_PAGE)
      m.replyTo()
      return
    case 'head':
      m.replyTo()
      return
    default:
      m.unknownType(AUDIT_MSG_TYPES)
  }
}
