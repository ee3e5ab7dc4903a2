import { AUDIT, AUDIT_FIELD_LIMITS, AUDIT_LOG_KEY, MAX_AUDIT_PAGE, verifyAuditChain } from '../../actors/index.ts'
import type { ActorSystem, AuditEntry, AuditRecord } from '../../actors/index.ts'
import { clip, describe, kindOf } from '../../protocols/index.ts'

/** How long an audited request waits for its record to be durable before it is answered anyway. */
const RECORD_TIMEOUT_MS = 3_000
/** Failed authentications recorded per minute on one node: a client guessing tokens must not fill
 * the trail (the others are counted, and said in the next record that is written). */
const FAILED_AUTH_PER_MINUTE = 30
/** A verify reads this many records per ask. */
const VERIFY_PAGE = MAX_AUDIT_PAGE
/** What a record keeps of a request's body: enough to see what was asked. */
const BODY_DETAIL_CHARS = 300

export interface AuditTrailOptions {
  readonly system: ActorSystem
  readonly log: { warn (obj: object, msg: string): void }
  /** @default Date.now */
  readonly now?: () => number
}

/** What a verify found: the chain whole up to `head`, or where it breaks. */
export interface AuditVerdict {
  readonly ok: boolean
  readonly records: number
  readonly head: { readonly seq: number, readonly hash: string }
  readonly brokenAt: number | null
  readonly reason: string | null
}

/**
 * The admin endpoint's side of the audit trail (actors/entities/audit-log): records what an admin
 * did, reads the trail back and proves its chain. A record that cannot be written (no member with
 * the chat role up, a timeout) is logged and counted, and the request is answered anyway: the
 * action has happened, and hiding it would be worse.
 */
export class AuditTrail {
  readonly #opts: AuditTrailOptions
  #failedAuthWindow = { start: 0, count: 0, dropped: 0 }
  /** Records that could not be written, and failed authentications left out. */
  readonly stats = { written: 0, failures: 0, dropped: 0 }

  constructor (opts: AuditTrailOptions) {
    this.#opts = opts
  }

  /** Records one entry (its fields clipped to their limits); resolves once durable, or once it
   * failed (logged). */
  async record (entry: AuditEntry): Promise<void> {
    const clipped: AuditEntry = {
      ...entry,
      actor: clip(entry.actor, AUDIT_FIELD_LIMITS.actor),
      node: clip(entry.node, AUDIT_FIELD_LIMITS.node),
      ip: clip(entry.ip === '' ? 'unknown' : entry.ip, AUDIT_FIELD_LIMITS.ip),
      action: clip(entry.action, AUDIT_FIELD_LIMITS.action),
      target: clip(entry.target, AUDIT_FIELD_LIMITS.target),
      detail: clip(entry.detail, AUDIT_FIELD_LIMITS.detail)
    }
    try {
      await this.#log().ask((replyTo) => ({ type: 'record', entry: clipped, replyTo }), { timeout: RECORD_TIMEOUT_MS })
      this.stats.written++
    } catch (err) {
      this.stats.failures++
      // unavailable (the trail's replicas: a lost write quorum is logged once, when it happens): the
      // reason without a stack
      this.#opts.log.warn({ ...kindOf(err) === 'unavailable' ? { reason: describe(err) } : { err }, action: clipped.action, target: clipped.target }, `audit: could not record ${clipped.action} (${clipped.outcome}): ${describe(err)}`)
    }
  }

  /** Whether a failed authentication is recorded now (at most FAILED_AUTH_PER_MINUTE a minute);
   * the ones left out are counted in `stats.dropped` and named in the next one recorded. */
  failedAuthentication (): { record: boolean, droppedBefore: number } {
    const now = (this.#opts.now ?? Date.now)()
    const w = this.#failedAuthWindow
    if (now - w.start >= 60_000) this.#failedAuthWindow = { start: now, count: 0, dropped: w.dropped }
    const current = this.#failedAuthWindow
    if (current.count >= FAILED_AUTH_PER_MINUTE) {
      current.dropped++
      this.stats.dropped++
      return { record: false, droppedBefore: 0 }
    }
    current.count++
    const droppedBefore = current.dropped
    current.dropped = 0
    return { record: true, droppedBefore }
  }

  /** Records with seq > after, oldest first, at most `limit` (1 to 1000). */
  async list (after: number, limit: number): Promise<AuditRecord[]> {
    return await this.#log().ask<AuditRecord[]>((replyTo) => ({ type: 'list', after, limit, replyTo }))
  }

  /** The last record's seq and hash (0 and 64 zeros: none yet). */
  async head (): Promise<{ seq: number, hash: string }> {
    return await this.#log().ask<{ seq: number, hash: string }>((replyTo) => ({ type: 'head', replyTo }))
  }

  /** Reads the whole trail, page by page, and checks every record's hash and link. */
  async verify (): Promise<AuditVerdict> {
    const head = await this.head()
    let at = { seq: 0, hash: '0'.repeat(64) }
    while (at.seq < head.seq) {
      const page = await this.list(at.seq, VERIFY_PAGE)
      if (page.length === 0) return { ok: false, records: at.seq, head, brokenAt: at.seq + 1, reason: `records ${at.seq + 1} to ${head.seq} are missing` }
      const result = verifyAuditChain(page, at)
      if (!result.ok) return { ok: false, records: at.seq, head, brokenAt: result.brokenAt, reason: result.reason }
      at = { seq: result.seq, hash: result.hash }
    }
    if (at.hash !== head.hash) return { ok: false, records: at.seq, head, brokenAt: at.seq, reason: `the last record's hash is not the trail's head` }
    return { ok: true, records: at.seq, head, brokenAt: null, reason: null }
  }

  #log () {
    return this.#opts.system.entity(AUDIT, AUDIT_LOG_KEY)
  }
}

/**
 * What the audit trail keeps of a request's body: its JSON, clipped, with any field that could hold
 * a secret left out (no admin body carries one today; this keeps it so). Never throws, since the
 * request is answered after it: a body JSON cannot show (nested past the stack's depth, which the
 * admin endpoint refuses before it is parsed; a bigint) is recorded as such.
 */
export function auditDetail (body: unknown): string {
  if (body === undefined || body === null) return ''
  // a body of bytes (a plugin package) is recorded by its size: its route notes what it held
  if (body instanceof Uint8Array) return `a body of ${body.byteLength} bytes`
  try {
    const json = JSON.stringify(body, (key, value: unknown) => (/token|secret|password|key$/i.test(key) ? '(not recorded)' : value))
    return clip(json ?? '', BODY_DETAIL_CHARS)
  } catch (err) {
    return `a body that cannot be shown as JSON (${err instanceof Error ? clip(err.name, 40) : typeof err})`
  }
}
