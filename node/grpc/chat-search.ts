import { InvalidRequestError } from '../../protocols/index.ts'
import type { SearchQuery, SearchResult, SearchViewer } from '../search/index.ts'

/** What the Chat service's Search asks: the node's search (ClusterSearch) and its query check. */
export interface ChatSearch {
  search (query: SearchQuery, viewer: SearchViewer): Promise<SearchResult>
  check (value: unknown): SearchQuery
}

/** chat.proto's SearchRequest, as the loader gives it (camelCase, defaults filled). */
export interface SearchRequest {
  readonly query: string
  readonly rooms: string[]
  readonly author: string
  readonly since: number
  readonly until: number
  readonly limit: number
  readonly mode: string
  readonly scope: string
}

/**
 * The Search call: the request as a SearchQuery (proto3's defaults read as absent: 0 is no bound,
 * '' no filter), checked (INVALID_ARGUMENT naming the field), asked as the caller: every room and
 * their own agent conversation, enforced by each node that answers.
 */
export async function searchCall (search: ChatSearch | undefined, req: SearchRequest, user: string): Promise<object> {
  if (search === undefined) throw new InvalidRequestError('search: this node does not offer search')
  let query: SearchQuery
  try {
    query = search.check({
      text: req.query,
      ...(req.rooms.length > 0 && { rooms: req.rooms }),
      ...(req.author !== '' && { author: req.author }),
      ...(req.since !== 0 && { since: req.since }),
      ...(req.until !== 0 && { until: req.until }),
      ...(req.limit !== 0 && { limit: req.limit }),
      ...(req.mode !== '' && { mode: req.mode }),
      ...(req.scope !== '' && { scope: req.scope })
    })
  } catch (err) {
    // the search folder's refusal, as the gRPC API words every invalid request
    throw new InvalidRequestError((err as Error).message)
  }
  const r = await search.search(query, { user })
  return {
    hits: r.hits.map((h) => ({ ...h, marks: h.marks.map(([start, length]) => ({ start, length })) })),
    partial: r.partial,
    missingPartitions: r.missing,
    incompleteNodes: r.incomplete,
    semantic: r.semantic,
    embedMs: r.embedMs,
    failed: r.failed
  }
}
