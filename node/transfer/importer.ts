import { AGENT, MAX_IMPORT_BATCH_BYTES, MAX_IMPORT_BATCH_POSTS, ROOM, isSuperseded } from '../../actors/index.ts'
import type { ActorSystem, ImportOutcome } from '../../actors/index.ts'
import { ExportKindError, ExportReader, importItemOf, kindOf } from '../../protocols/index.ts'
import type { ExportHeader, ExportRecord, ImportItem, ImportReport } from '../../protocols/index.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { IMPORT_RETRY_DELAYS_MS, ITEM_OVERHEAD_BYTES, KEPT_IMPORT_BYTES, TRANSFER_ASK_TIMEOUT_MS } from './constants.ts'

/** Failures of a batch that a later try may not meet (the batch itself was fine). */
const TRANSIENT: ReadonlySet<string> = new Set(['unavailable', 'timeout'])

/** Where an import goes: a room, or a user's agent conversation. */
export interface ImportTarget {
  readonly kind: 'room' | 'agent'
  /** The room's name, or the agent's user. */
  readonly name: string
}

export interface ImporterOptions {
  readonly system: Pick<ActorSystem, 'entity'>
  /** Posts a batch holds at most. @default MAX_IMPORT_BATCH_POSTS */
  readonly batchPosts?: number
  /** What the check keeps of an export at most (bytes, about): more is read again. @default KEPT_IMPORT_BYTES */
  readonly keptBytes?: number
}

/**
 * Imports a Plexi export into a room or an agent conversation: it reads the file once to check it
 * whole, record by record (ExportRecordError names the first bad one, and nothing is written),
 * keeping what it read while that is under KEPT_IMPORT_BYTES, then sends its posts (from what it
 * kept, or read again) in batches (MAX_IMPORT_BATCH_POSTS or MAX_IMPORT_BATCH_BYTES each, one
 * journal append each) in order; the target skips what its watermark for the source says it has.
 * Running it twice adds nothing; a dry run sends the same batches marked so, and writes nothing.
 */
export class Importer {
  readonly #options: ImporterOptions

  constructor (options: ImporterOptions) {
    this.#options = options
  }

  /** Checks an export whole: its header (of a kind that fits `target`) and every record. */
  async check (lines: () => AsyncIterable<string>, target: ImportTarget): Promise<{ header: ExportHeader, records: number }> {
    const { header, records } = await this.#check(lines, target, () => undefined)
    return { header, records }
  }

  /** check, handing each record read to `onRecord` (with the header it follows). */
  async #check (lines: () => AsyncIterable<string>, target: ImportTarget, onRecord: (header: ExportHeader, record: ExportRecord) => void): Promise<{ header: ExportHeader, records: number }> {
    const reader = new ExportReader()
    for await (const line of lines()) {
      const record = reader.line(line)
      if (reader.header !== undefined && reader.records === 0) fits(reader.header, target)
      if (record !== undefined && reader.header !== undefined) onRecord(reader.header, record)
    }
    const header = reader.end()
    fits(header, target)
    return { header, records: reader.records }
  }

  /** What an import sends, record by record (undefined: one that adds nothing): the items the check
   * kept when they fit KEPT_IMPORT_BYTES, else the lines read again. */
  async * #items (lines: () => AsyncIterable<string>, kept: ReadonlyArray<ImportItem | undefined> | undefined): AsyncIterable<ImportItem | undefined> {
    if (kept !== undefined) {
      yield * kept
      return
    }
    const reader = new ExportReader()
    for await (const line of lines()) {
      const record = reader.line(line)
      if (record !== undefined) yield importItemOf((reader.header as ExportHeader).kind, record)
    }
  }

  /** Checks the export whole, then imports it as `user` (the poster of record). `lines` is read
   * once, or twice when what it holds is past KEPT_IMPORT_BYTES. `onProgress`: records sent so far
   * of all. */
  async import (lines: () => AsyncIterable<string>, target: ImportTarget, user: string, options: { readonly dryRun?: boolean, readonly onProgress?: (done: number, total: number) => void } = {}): Promise<ImportReport> {
    // the check keeps what it read while it is small (most exports): the send then parses nothing
    // again; a larger one is read again from the start
    let kept: Array<ImportItem | undefined> | undefined = []
    let keptBytes = 0
    const { header, records } = await this.#check(lines, target, (h, record) => {
      if (kept === undefined) return
      const item = importItemOf(h.kind, record)
      keptBytes += item === undefined ? 0 : item.text.length * 2 + ITEM_OVERHEAD_BYTES
      if (keptBytes > (this.#options.keptBytes ?? KEPT_IMPORT_BYTES)) kept = undefined
      else kept.push(item)
    })
    const dryRun = options.dryRun === true
    const totals = { added: 0, skipped: 0, notImportable: 0, batches: 0, watermark: 0, firstSeq: undefined as number | undefined, lastSeq: undefined as number | undefined }
    let batch: ImportItem[] = []
    let bytes = 0
    /** Records read and handled (in a batch sent, or adding nothing): what progress reports. */
    let handled = 0
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const outcome = await this.#send(target, user, header.source, batch, dryRun)
      totals.added += outcome.added
      totals.skipped += outcome.skipped
      totals.batches++
      totals.watermark = outcome.watermark
      if (outcome.firstSeq !== undefined) totals.firstSeq ??= outcome.firstSeq
      if (outcome.lastSeq !== undefined) totals.lastSeq = outcome.lastSeq
      batch = []
      bytes = 0
      options.onProgress?.(handled, records)
    }
    const max = this.#options.batchPosts ?? MAX_IMPORT_BATCH_POSTS
    for await (const item of this.#items(lines, kept)) {
      if (item === undefined) {
        totals.notImportable++
      } else {
        const size = Buffer.byteLength(item.text, 'utf8')
        if (batch.length >= max || bytes + size > MAX_IMPORT_BATCH_BYTES) await flush()
        batch.push(item)
        bytes += size
      }
      handled++
    }
    await flush()
    const { firstSeq, lastSeq, ...counts } = totals
    return {
      source: header.source,
      kind: target.kind,
      name: target.name,
      dryRun,
      records,
      ...counts,
      ...(firstSeq !== undefined && lastSeq !== undefined && { firstSeq, lastSeq })
    }
  }

  /** Sends a batch; one that failed for a while (no owner yet, a move, a timeout) is sent again:
   * the target's watermark makes that safe (what landed the first time is skipped). */
  async #send (target: ImportTarget, user: string, source: string, items: ImportItem[], dryRun: boolean): Promise<ImportOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#ask(target, user, source, items, dryRun)
      } catch (err) {
        const delay = IMPORT_RETRY_DELAYS_MS[attempt]
        if (delay === undefined || !(TRANSIENT.has(kindOf(err)) || isSuperseded(err))) throw err
        await sleep(delay)
      }
    }
  }

  async #ask (target: ImportTarget, user: string, source: string, items: ImportItem[], dryRun: boolean): Promise<ImportOutcome> {
    const { system } = this.#options
    const options = { timeout: TRANSFER_ASK_TIMEOUT_MS }
    if (target.kind === 'room') {
      return await system.entity(ROOM, target.name).ask<ImportOutcome>((replyTo) => ({ type: 'import', user, source, posts: items, dryRun, replyTo }), options)
    }
    return await system.entity(AGENT, target.name).ask<ImportOutcome>((replyTo) => ({ type: 'import', user, source, turns: items, dryRun, replyTo }), options)
  }
}

/** An export goes only where it fits: a room's into a room, an agent's into an agent. */
function fits (header: ExportHeader, target: ImportTarget): void {
  if (header.kind !== target.kind) {
    throw new ExportKindError(`this is ${header.kind === 'user' ? 'a user\'s export (everything of one user), which is not imported' : `an export of ${header.kind === 'room' ? 'a room' : 'an agent conversation'}`}; it cannot be imported into ${target.kind === 'room' ? 'a room' : 'an agent conversation'}; nothing was imported`)
  }
}
