import type { JournalRecord, TransferPage } from '../../actors/index.ts'

/** Asks an entity for the page of its journal after `after`, at most `limit` records. */
export type PageRead<E> = (after: number, limit: number) => Promise<TransferPage<E>>

/** Records of one page, in seq order, with the page's redacted seqs. */
export interface PageSlice<E> {
  readonly records: ReadonlyArray<JournalRecord<E>>
  readonly redacted: ReadonlySet<number>
}

/**
 * Every record of an entity's journal after `after` up to `to`, page by page, in order, with up
 * to `inFlight` pages asked for ahead of the one being consumed (each a range of `size` seqs; a
 * page its owner cut short by its byte budget is finished with further reads before the next
 * range is yielded). A consumer that stops early leaves the pages ahead unread.
 */
export async function * readPages<E> (read: PageRead<E>, after: number, to: number, size: number, inFlight: number): AsyncGenerator<PageSlice<E>> {
  const pending: Array<{ after: number, end: number, page: Promise<TransferPage<E>> }> = []
  let next = after
  const fill = (): void => {
    while (pending.length < inFlight && next < to) {
      const from = next
      const end = Math.min(to, from + size)
      const page = read(from, end - from)
      // awaited in turn below; one the consumer never reaches must not be an unhandled rejection
      page.catch(() => undefined)
      pending.push({ after: from, end, page })
      next = end
    }
  }
  fill()
  for (let range = pending.shift(); range !== undefined; range = pending.shift()) {
    fill()
    let from = range.after
    let page = await range.page
    for (;;) {
      const start = from
      const end = range.end
      const records = page.records.filter((r) => r.seq > start && r.seq <= end)
      if (records.length > 0) yield { records, redacted: new Set(page.redacted) }
      const last = records.at(-1)?.seq
      if (last === undefined || last >= end) break
      from = last
      page = await read(from, end - from)
    }
  }
}
