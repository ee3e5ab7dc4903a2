/** A page of an entity's journal as the exporter takes it: its records made into items (export
 * records, or their JSON lines), with the entity's head and floor when it was read. */
export interface ItemPage<T> {
  readonly items: readonly T[]
  readonly head: number
  readonly floor: number
}

/** Asks an entity for the page of its journal after `after`, at most `limit` records. */
export type PageRead<T> = (after: number, limit: number) => Promise<ItemPage<T>>

/**
 * Every item of an entity's journal after `after` up to `to`, page by page, in order, with up to
 * `inFlight` pages asked for ahead of the one being consumed (each a range of `size` seqs; a page
 * its owner cut short by its byte budget is finished with further reads before the next range is
 * yielded). A consumer that stops early leaves the pages ahead unread.
 */
export async function * readPages<T extends { readonly seq: number }> (read: PageRead<T>, after: number, to: number, size: number, inFlight: number): AsyncGenerator<readonly T[]> {
  const pending: Array<{ after: number, end: number, page: Promise<ItemPage<T>> }> = []
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
      const items = page.items.filter((r) => r.seq > start && r.seq <= end)
      if (items.length > 0) yield items
      const last = items.at(-1)?.seq
      if (last === undefined || last >= end) break
      from = last
      page = await read(from, end - from)
    }
  }
}
