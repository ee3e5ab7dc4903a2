import { MAX_CHAT_TEXT_BYTES } from '../../protocols/index.ts'
import type { ImportItem } from '../../protocols/index.ts'
import type { JournalRecord } from '../kernel/index.ts'
import {
  MAX_EXPORT_HEAD_RANGES, MAX_EXPORT_PAGE_RECORDS, MAX_IMPORTED_AUTHOR_LENGTH, MAX_IMPORT_BATCH_BYTES, MAX_IMPORT_BATCH_POSTS, MAX_IMPORT_SOURCES, MAX_IMPORT_SOURCE_LENGTH
} from './constants.ts'
import type { MessageCheck } from './message-check.ts'
import { isSeqRanges } from './seq-ranges.ts'
import type { SeqRanges } from './seq-ranges.ts'

/**
 * What rooms and agents share for export and import (docs/api.md, "Export and import"): a page of
 * their journal as it is stored, and a batch of records from another export with its source.
 */

/** An entity's answer to an import batch (or to its dry run: what would be added). */
export interface ImportOutcome {
  /** Records appended (a dry run: that would be). */
  readonly added: number
  /** Records at or below the source's watermark: taken by an earlier import. */
  readonly skipped: number
  /** The source seqs of the first and last record added (absent when none). */
  readonly firstSeq?: number
  readonly lastSeq?: number
  /** The highest source seq taken from this source, after the batch. */
  readonly watermark: number
  /** The entity's last seq after the batch. */
  readonly head: number
}

/** A page of an entity's journal, as stored, for an export. */
export interface TransferPage<E> {
  readonly records: ReadonlyArray<JournalRecord<E>>
  /** The entity's last durable seq when the page was read. */
  readonly head: number
  /** The first seq the journal still holds (1 until a retention trimmed it). */
  readonly floor: number
  /** Seqs of this page's posts that were redacted (their text is not exported). */
  readonly redacted: readonly number[]
  /** Asked `json`: each record as its export record's JSON (transfer-records.ts), the first of seq
   * `first`, in place of `records` (empty then): an export writes them as they are, and the page
   * crosses the mesh as strings, not as thousands of objects. */
  readonly lines?: readonly string[]
  readonly first?: number
}

/**
 * Where an export of a room may read it (`export-head`): the room's head and floor, every redacted
 * post (whose text the reader leaves out, whatever its copy holds), and the seq up to which the
 * reader's own node holds the room's records in its replica (0: none). The reader reads those
 * there, `held` at most, and asks the room for pages of the rest.
 */
export interface ExportHead {
  readonly head: number
  readonly floor: number
  readonly redacted: SeqRanges
  readonly held: number
}

/** An `export-head` answer as it came from the room's owner (another node), or undefined when it is
 * not one: counts that are seqs, `held` within the head, redacted ranges well formed and at most
 * MAX_EXPORT_HEAD_RANGES. An exporter that gets undefined reads every page from the owner. */
export function checkExportHead (value: unknown): ExportHead | undefined {
  const v = value as Partial<Record<keyof ExportHead, unknown>> | null
  if (typeof v !== 'object' || v === null) return undefined
  const seq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
  if (!seq(v.head) || !seq(v.floor) || !seq(v.held) || v.held > v.head) return undefined
  if (!isSeqRanges(v.redacted) || v.redacted.length > MAX_EXPORT_HEAD_RANGES) return undefined
  return { head: v.head, floor: v.floor, redacted: v.redacted, held: v.held }
}

/** An import source: printable ASCII without spaces. */
const SOURCE = /^[\x21-\x7e]+$/

/** The fields of an `export-page` message after `type` (and `user` for an agent). */
export function checkExportPage (m: MessageCheck): void {
  m.integer('after', 0, Number.MAX_SAFE_INTEGER)
  m.integer('limit', 1, MAX_EXPORT_PAGE_RECORDS)
  if (m.raw('json') !== undefined) m.boolean('json')
  m.replyTo()
}

/** The fields of an `import` message after `type` and `user`: the source, a batch of at most
 * MAX_IMPORT_BATCH_POSTS items (seqs increasing, text within MAX_IMPORT_BATCH_BYTES together),
 * and whether it is a dry run. */
export function checkImportBatch (m: MessageCheck, field: string): void {
  m.matching('source', SOURCE, 'printable ASCII without spaces')
  m.string('source', MAX_IMPORT_SOURCE_LENGTH)
  let previous = 0
  let bytes = 0
  for (const item of m.objects(field, MAX_IMPORT_BATCH_POSTS)) {
    const seq = item.integer('seq', 1, Number.MAX_SAFE_INTEGER)
    if (seq <= previous) item.refuse('seq', `a seq above the one before (${previous})`)
    previous = seq
    item.string('user', MAX_IMPORTED_AUTHOR_LENGTH)
    bytes += Buffer.byteLength(item.text('text', MAX_CHAT_TEXT_BYTES), 'utf8')
    item.number('ts')
    item.clientId('clientId')
  }
  if (bytes > MAX_IMPORT_BATCH_BYTES) m.refuse(field, `at most ${MAX_IMPORT_BATCH_BYTES} bytes of text in one batch (${bytes} came)`)
  if (m.raw('dryRun') !== undefined) m.boolean('dryRun')
  m.replyTo()
}

/** The items of a batch past the source's watermark (a batch's seqs increase). */
export function itemsAfter<T extends { readonly seq: number }> (items: readonly T[], watermark: number): { readonly fresh: readonly T[], readonly skipped: number } {
  const at = items.findIndex((i) => i.seq > watermark)
  return at < 0 ? { fresh: [], skipped: items.length } : { fresh: items.slice(at), skipped: at }
}

/**
 * What an import batch does to a room or an agent that keeps `imported` watermarks: the items past
 * the source's watermark (`fresh`), its answer once they are written at `head`, and whether the
 * source would be one more than an entity may keep (`full`: MAX_IMPORT_SOURCES; refuse the batch).
 */
export function planImport<T extends { readonly seq: number }> (imported: Readonly<Record<string, number>> | undefined, source: string, items: readonly T[]):
{ readonly fresh: readonly T[], readonly full: boolean, readonly outcome: (head: number) => ImportOutcome } {
  const kept = imported ?? {}
  // own keys only: a source named like an Object.prototype member is just a name
  const known = Object.hasOwn(kept, source)
  const watermark = known ? kept[source] ?? 0 : 0
  const { fresh, skipped } = itemsAfter(items, watermark)
  const first = fresh[0]
  const last = fresh.at(-1)
  return {
    fresh,
    full: fresh.length > 0 && !known && Object.keys(kept).length >= MAX_IMPORT_SOURCES,
    outcome: (head) => ({
      added: fresh.length,
      skipped,
      ...(first !== undefined && last !== undefined && { firstSeq: first.seq, lastSeq: last.seq }),
      watermark: Math.max(watermark, last?.seq ?? 0),
      head
    })
  }
}

/** An entity state's watermarks after records of `source` up to `seq` were taken. */
export function withWatermark (imported: Readonly<Record<string, number>> | undefined, source: string, seq: number): Readonly<Record<string, number>> {
  // own keys only: a source named like an Object.prototype member is just a name
  const now = imported !== undefined && Object.hasOwn(imported, source) ? imported[source] ?? 0 : 0
  return seq <= now ? (imported ?? {}) : { ...imported, [source]: seq }
}
