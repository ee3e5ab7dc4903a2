import type { JournalRecord } from '../kernel/index.ts'
import type { ChatMessage, RoomEvent, RoomMsg, RoomState } from './chat-room-protocol.ts'
import { EXPORT_PAGE_BYTES, MAX_EXPORT_HEAD_RANGES, MAX_EXPORT_PAGE_RECORDS, MAX_IMPORT_SOURCES } from './constants.ts'
import { ImportSourcesFullError } from './errors.ts'
import { notifyHooks } from './room-hooks.ts'
import type { RoomContext } from './room-volatile.ts'
import { ensureRegistered, push, toMessage } from './room-writes.ts'
import { roomRecordJson } from './transfer-records.ts'
import { hasSeq } from './seq-ranges.ts'
import type { SeqRanges } from './seq-ranges.ts'
import { planImport, withWatermark } from './transfer-protocol.ts'
import type { ExportHead, TransferPage } from './transfer-protocol.ts'
import type { ImportedFrom } from '../../protocols/index.ts'

type ExportHeadMsg = Extract<RoomMsg, { type: 'export-head' }>
type ExportPageMsg = Extract<RoomMsg, { type: 'export-page' }>
type ImportMsg = Extract<RoomMsg, { type: 'import' }>

/**
 * Where an export may read the room: its head and floor, its redacted posts, and the seq up to which
 * the reader's node holds the records in its own replica (ctx.heldBy). A room with more redacted
 * ranges than an answer carries says its reader holds nothing: the export then reads every page
 * here, each with its own redacted seqs.
 */
export function exportHead (ctx: RoomContext, msg: ExportHeadMsg): void {
  const redacted = ctx.state.redacted ?? []
  const fits = redacted.length <= MAX_EXPORT_HEAD_RANGES
  const head: ExportHead = { head: ctx.durableSeq, floor: ctx.floor, redacted: fits ? redacted : [], held: fits ? ctx.heldBy(msg.reader) : 0 }
  ctx.reply(msg.replyTo, head)
}

/**
 * A page of the room's journal for an export: records as stored from `after + 1` (or the floor),
 * at most `limit` and EXPORT_PAGE_BYTES of text (at least one). A redacted post's text is taken
 * out here, even where a replica still held it, and its seq listed in `redacted`.
 */
export function exportPage (ctx: RoomContext, msg: ExportPageMsg): void {
  const floor = ctx.floor
  const head = ctx.durableSeq
  const redactedSeqs = ctx.state.redacted
  // not awaited: the room goes on with its mailbox while the journal is read, and an export's
  // pages asked for ahead are read at once
  ctx.events(Math.max(msg.after + 1, floor), Math.min(msg.limit, MAX_EXPORT_PAGE_RECORDS)).then((read) => {
    const page = pageOf(read, head, floor, redactedSeqs)
    ctx.reply(msg.replyTo, msg.json === true ? rendered(page) : page)
  }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
}

/**
 * A page with each record as its export record's JSON, as many as fit EXPORT_PAGE_BYTES of JSON
 * (escaping can make a text's JSON several times its size); a first record whose JSON alone is
 * larger goes as the record itself (its text, at most MAX_CHAT_TEXT_BYTES, fits a frame as it is).
 */
function rendered (page: TransferPage<RoomEvent>): TransferPage<RoomEvent> {
  const redacted = new Set(page.redacted)
  const lines: string[] = []
  let bytes = 0
  for (const r of page.records) {
    const line = roomRecordJson(r.seq, r.event, redacted.has(r.seq))
    bytes += Buffer.byteLength(line, 'utf8')
    if (bytes > EXPORT_PAGE_BYTES) break
    lines.push(line)
  }
  if (lines.length === 0) return { ...page, records: page.records.slice(0, 1) }
  return { records: [], head: page.head, floor: page.floor, redacted: page.redacted, lines, first: page.records[0]?.seq ?? 0 }
}

function pageOf (read: ReadonlyArray<JournalRecord<RoomEvent>>, head: number, floor: number, redactedSeqs: SeqRanges | undefined): TransferPage<RoomEvent> {
  const records: Array<JournalRecord<RoomEvent>> = []
  const redacted: number[] = []
  let bytes = 0
  for (const r of read) {
    const text = r.event.type === 'message-posted' ? r.event.text : ''
    bytes += text.length === 0 ? 0 : Buffer.byteLength(text, 'utf8')
    if (records.length > 0 && bytes > EXPORT_PAGE_BYTES) break
    if (r.event.type === 'message-posted' && (r.event.redacted !== undefined || hasSeq(redactedSeqs, r.seq))) {
      redacted.push(r.seq)
      records.push({ seq: r.seq, event: { ...r.event, text: '' } })
    } else {
      records.push(r)
    }
  }
  return { records, head: Math.max(head, records.at(-1)?.seq ?? 0), floor, redacted }
}

/**
 * An import batch: the posts past the source's watermark are appended in one write, each a
 * `message-posted` by the importing user carrying `importedFrom`; the answer comes once they are
 * durable (subscribers and after-post hooks get them then, as any post). A dry run answers what
 * would be added and writes nothing.
 */
export async function importPosts (ctx: RoomContext, msg: ImportMsg): Promise<void> {
  const { fresh, full, outcome } = planImport(ctx.state.imported, msg.source, msg.posts)
  if (fresh.length === 0 || msg.dryRun === true) {
    ctx.reply(msg.replyTo, outcome(ctx.seq))
    return
  }
  if (full) {
    ctx.fail(msg.replyTo, new ImportSourcesFullError(`room ${ctx.key} keeps the watermarks of ${MAX_IMPORT_SOURCES} import sources, the most it may; import into another room`))
    return
  }
  if (!await ensureRegistered(ctx, msg.user, [msg.replyTo])) return
  const ts = Date.now()
  const events: RoomEvent[] = fresh.map((p) => ({
    type: 'message-posted',
    user: msg.user,
    text: p.text,
    ts,
    importedFrom: { source: msg.source, seq: p.seq, user: p.user, ts: p.ts, ...(p.clientId !== undefined && { clientId: p.clientId }) }
  }))
  const from = ctx.seq + 1
  const messages = events.map((event, i) => toMessage(ctx.key, { seq: from + i, event }))
  ctx.persist(events).then(() => {
    ctx.reply(msg.replyTo, outcome(from + events.length - 1))
    for (const message of messages) delivered(ctx, message)
  }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
}

function delivered (ctx: RoomContext, message: ChatMessage): void {
  push(ctx, { type: 'room-message', message })
  notifyHooks(ctx, message)
}

/** The room's state after an imported post: its source's watermark moves up to it. */
export function noteImported (state: RoomState, createdAt: number, from: ImportedFrom): RoomState {
  return { ...state, createdAt, imported: withWatermark(state.imported, from.source, from.seq) }
}

