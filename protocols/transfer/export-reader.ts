import { CLIENT_ID_RULE, MAX_CHAT_TEXT_BYTES, isClientId } from '../limits.ts'
import { EXPORT_FORMAT, MAX_EXPORT_LINE_CHARS, MAX_IMPORT_RECORDS, MAX_RECORD_USER_LENGTH, MAX_SOURCE_LENGTH } from './constants.ts'
import { ExportRecordError } from './errors.ts'
import type { ExportHeader, ExportKind, ExportRecord, ImportItem } from './export-record.ts'

const KINDS: readonly ExportKind[] = ['room', 'agent', 'user']
const ROOM_KINDS = ['message', 'join', 'leave', 'redaction']
const SOURCE = /^[\x21-\x7e]+$/
/** The end of a JSON export's first line: the header's fields, then the records' array opens. */
const JSON_OPEN = ',"records":['

/**
 * Reads an export line by line (NDJSON, or the JSON ExportWriter writes: one record a line), and
 * checks the header and each record as it comes: a record that is not what the format says throws
 * ExportRecordError with its number and field. Never holds more than one line.
 */
export class ExportReader {
  #header: ExportHeader | undefined
  #json = false
  #closed = false
  #records = 0
  #lastSeq = 0

  /** The header, once its line was read. */
  get header (): ExportHeader | undefined { return this.#header }
  /** Records read so far. */
  get records (): number { return this.#records }

  /** One line of the file: the record it holds, checked, or undefined (the header, a JSON frame,
   * an empty line). */
  line (raw: string): ExportRecord | undefined {
    const number = this.#header === undefined ? 0 : this.#records + 1
    if (raw.length > MAX_EXPORT_LINE_CHARS) throw new ExportRecordError(number, '(line)', `longer than ${MAX_EXPORT_LINE_CHARS} characters`)
    let text = raw.trim()
    if (text.length === 0) return undefined
    if (this.#closed) throw new ExportRecordError(number, '(line)', 'nothing may follow the end of a JSON export')
    if (this.#header === undefined) {
      this.#json = text.endsWith(JSON_OPEN)
      this.#header = checkHeader(parse(this.#json ? `${text.slice(0, -JSON_OPEN.length)}}` : text, 0))
      return undefined
    }
    if (this.#json) {
      if (text === ']}') {
        this.#closed = true
        return undefined
      }
      if (text.endsWith(',')) text = text.slice(0, -1)
    }
    if (this.#records >= MAX_IMPORT_RECORDS) throw new ExportRecordError(number, '(line)', `more than ${MAX_IMPORT_RECORDS} records in one file`)
    const record = this.#check(parse(text, number), number)
    this.#records++
    return record
  }

  /** The file ended: throws when it had no header, or a JSON export was cut before its end. */
  end (): ExportHeader {
    if (this.#header === undefined) throw new ExportRecordError(0, 'format', `expected an export (a first line with "format": "${EXPORT_FORMAT}"), got an empty file`)
    if (this.#json && !this.#closed) throw new ExportRecordError(this.#records + 1, '(end)', 'the JSON export ends before its records do (cut short?)')
    return this.#header
  }

  #check (value: unknown, n: number): ExportRecord {
    const r = asObject(value, n)
    const refuse = (field: string, why: string): never => { throw new ExportRecordError(n, field, why) }
    const seq = r.seq
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) refuse('seq', `expected an integer from 1, got ${shown(seq)}`)
    if ((seq as number) <= this.#lastSeq) refuse('seq', `expected a seq above the one before (${this.#lastSeq}), got ${shown(seq)}`)
    this.#lastSeq = seq as number
    if (typeof r.kind !== 'string' || r.kind.length === 0 || r.kind.length > 64) refuse('kind', `expected a record kind, got ${shown(r.kind)}`)
    if (typeof r.ts !== 'number' || !Number.isFinite(r.ts)) refuse('ts', `expected a time (ms since the epoch), got ${shown(r.ts)}`)
    if (this.#header?.kind === 'room') checkRoomRecord(r, refuse)
    if (this.#header?.kind === 'agent' && (r.kind === 'user-asked' || r.kind === 'agent-answered')) checkText(r.text, r.kind === 'agent-answered' ? 0 : 1, refuse)
    return r as unknown as ExportRecord
  }
}

/** The post (or turn) a record adds when imported, or undefined for one that adds none (a join,
 * a leave, a redaction, a redacted post, an agent's tool round or setting). */
export function importItemOf (kind: ExportKind, record: ExportRecord): ImportItem | undefined {
  const r = record as unknown as Record<string, unknown>
  const text = typeof r.text === 'string' ? r.text : ''
  if (text.length === 0) return undefined
  if (kind === 'room') {
    if (r.kind !== 'message' || r.redacted === true) return undefined
    return { seq: record.seq, user: String(r.user), text, ts: record.ts, ...(isClientId(r.clientId) && { clientId: r.clientId }) }
  }
  if (kind === 'agent' && (r.kind === 'user-asked' || r.kind === 'agent-answered')) {
    return { seq: record.seq, user: r.kind === 'user-asked' ? 'user' : 'assistant', text, ts: record.ts }
  }
  return undefined
}

function checkRoomRecord (r: Record<string, unknown>, refuse: (field: string, why: string) => never): void {
  if (!ROOM_KINDS.includes(r.kind as string)) refuse('kind', `expected one of ${ROOM_KINDS.join(', ')}, got ${shown(r.kind)}`)
  if (typeof r.user !== 'string' || r.user.length === 0 || r.user.length > MAX_RECORD_USER_LENGTH) refuse('user', `expected an author of 1 to ${MAX_RECORD_USER_LENGTH} characters, got ${shown(r.user)}`)
  if (r.clientId !== undefined && !isClientId(r.clientId)) refuse('clientId', `expected ${CLIENT_ID_RULE}, got ${shown(r.clientId)}`)
  if (r.redacted !== undefined && r.redacted !== true) refuse('redacted', `expected true or nothing, got ${shown(r.redacted)}`)
  if (r.kind === 'message' && r.redacted !== true) checkText(r.text, 1, refuse)
  if (r.kind === 'redaction' && (typeof r.redacts !== 'number' || !Number.isSafeInteger(r.redacts))) refuse('redacts', `expected the seq it redacted, got ${shown(r.redacts)}`)
}

function checkText (text: unknown, min: number, refuse: (field: string, why: string) => never): void {
  if (typeof text !== 'string' || text.length < min) refuse('text', `expected ${min === 0 ? 'a string' : 'text that is not empty'}, got ${shown(text)}`)
  const t = text as string
  if (t.length * 3 > MAX_CHAT_TEXT_BYTES) {
    const bytes = Buffer.byteLength(t, 'utf8')
    if (bytes > MAX_CHAT_TEXT_BYTES) refuse('text', `${bytes} bytes is over the limit of ${MAX_CHAT_TEXT_BYTES}`)
  }
  // (a JSON \ud800 escape alone): stored, it would come back as U+FFFD, not what was exported
  if (!t.isWellFormed()) refuse('text', 'a lone surrogate (half of a UTF-16 pair) has no UTF-8 form: expected well-formed text')
}

function checkHeader (value: unknown): ExportHeader {
  const h = asObject(value, 0)
  const refuse = (field: string, why: string): never => { throw new ExportRecordError(0, field, why) }
  if (h.format !== EXPORT_FORMAT) refuse('format', `expected "${EXPORT_FORMAT}", got ${shown(h.format)}`)
  if (typeof h.source !== 'string' || h.source.length > MAX_SOURCE_LENGTH || !SOURCE.test(h.source)) refuse('source', `expected 1 to ${MAX_SOURCE_LENGTH} printable ASCII characters without spaces, got ${shown(h.source)}`)
  if (!KINDS.includes(h.kind as ExportKind)) refuse('kind', `expected one of ${KINDS.join(', ')}, got ${shown(h.kind)}`)
  if (typeof h.name !== 'string' || h.name.length === 0) refuse('name', `expected a name, got ${shown(h.name)}`)
  for (const field of ['exportedAt', 'from', 'to', 'floor']) {
    if (typeof h[field] !== 'number' || !Number.isFinite(h[field])) refuse(field, `expected a number, got ${shown(h[field])}`)
  }
  return h as unknown as ExportHeader
}

function parse (text: string, n: number): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ExportRecordError(n, '(line)', `not JSON (${(err as Error).message.slice(0, 80)})`)
  }
}

function asObject (value: unknown, n: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ExportRecordError(n, '(line)', `expected an object, got ${shown(value)}`)
  return value as Record<string, unknown>
}

function shown (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value === undefined) return 'nothing'
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}
