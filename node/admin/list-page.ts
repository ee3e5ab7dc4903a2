import type { FastifyReply } from 'fastify'

/**
 * The admin API's one pager of lists (`?limit=&after=`): a page of rows in the order of their
 * keys, after the key of the last row of the page before, and a `Link: <...>; rel="next"` header
 * naming the next page while more rows follow (the users list, the actors, the partitions). A
 * page is found by key, not by position, so a row added or removed between two pages neither
 * repeats nor hides another.
 */

/** A page of `rows` and whether more follow it. */
export interface ListPage<T> { readonly rows: T[], readonly more: boolean }

/** The rows of `sorted` (in increasing order of `keyOf`) whose key is after `after` (every row
 * when undefined), at most `limit` of them. */
export function pageAfter<T, K extends string | number> (sorted: readonly T[], keyOf: (row: T) => K, after: K | undefined, limit: number): ListPage<T> {
  let from = 0
  if (after !== undefined) {
    // the first row after `after`: binary search (the lists run to thousands of rows)
    let hi = sorted.length
    while (from < hi) {
      const mid = (from + hi) >>> 1
      if (keyOf(sorted[mid] as T) <= after) from = mid + 1
      else hi = mid
    }
  }
  return { rows: sorted.slice(from, from + limit), more: from + limit < sorted.length }
}

/** Names the next page in a `Link` header when `page` has more after it: `path` with `query`
 * (the filters, kept), `limit` and `after` the key of the page's last row. */
export function linkNext (reply: FastifyReply, path: string, query: Readonly<Record<string, string | number | boolean | undefined>>, limit: number, page: { readonly more: boolean, readonly lastKey: string | number | undefined }): void {
  if (!page.more || page.lastKey === undefined) return
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined && name !== 'limit' && name !== 'after') params.set(name, String(value))
  params.set('limit', String(limit))
  params.set('after', String(page.lastKey))
  void reply.header('link', `<${path}?${params.toString()}>; rel="next"`)
}

/** The `limit` and `after` of a list's query schema: `after` as `afterSchema` says its key is. */
export function pageQueryProperties<A extends object> (what: string, defaultLimit: number | undefined, maxLimit: number, afterSchema: A) {
  return {
    limit: { type: 'integer', minimum: 1, maximum: maxLimit, description: `at most this many ${what} (1 to ${maxLimit}); absent: ${defaultLimit === undefined ? `every one` : defaultLimit}. A page with more after it names the next in its \`Link\` header (rel="next")` },
    after: { ...afterSchema, description: `the ${what} after this one (the last of the page before); it need not be one that exists` }
  } as const
}
