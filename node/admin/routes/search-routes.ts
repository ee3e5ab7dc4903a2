import type { FastifyInstance } from 'fastify'
import { BEARER, errors, ref, searchQuerystring } from '../../../protocols/admin/index.ts'
import { SearchUnavailableError } from '../../search/index.ts'
import type { SearchQuery, SearchResult, SearchViewer } from '../../search/index.ts'

/** What the route asks of search (node/search: ClusterSearch and checkSearchQuery). */
export interface SearchAdmin {
  search (query: SearchQuery, viewer: SearchViewer): Promise<SearchResult>
  check (value: unknown): SearchQuery
}

export interface SearchRoutesDeps {
  /** Search (absent: 503). */
  readonly search?: SearchAdmin | undefined
}

interface SearchQs { q: string, rooms?: string, author?: string, since?: number, until?: number, limit: number, mode: string, scope: string, as?: string }

/** `/api/v1/search`: an admin's search over every room and every agent conversation (or, with
 * `as`, what one user sees), merged from the members holding every partition. */
export function searchRoutes (deps: SearchRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    api.get<{ Querystring: SearchQs }>('/search', {
      schema: {
        summary: 'Ranked search (BM25, semantic or hybrid) over every room and agent conversation; each hit names its room and seq; partial answers say which partitions did not answer',
        security: BEARER,
        querystring: searchQuerystring,
        response: { 200: ref('SearchResult'), ...errors(400, 401, 503) }
      }
    }, async (request) => {
      const search = deps.search
      if (search === undefined) throw new SearchUnavailableError('this node does not offer search')
      const qs = request.query
      const rooms = qs.rooms?.split(',').map((r) => r.trim()).filter((r) => r !== '')
      // the search folder's own check: the same errors as gRPC and the agent's tool (400 here)
      const query = search.check({
        text: qs.q,
        mode: qs.mode,
        scope: qs.scope,
        limit: qs.limit,
        ...(rooms !== undefined && rooms.length > 0 && { rooms }),
        ...(qs.author !== undefined && { author: qs.author }),
        ...(qs.since !== undefined && { since: qs.since }),
        ...(qs.until !== undefined && { until: qs.until })
      })
      return await search.search(query, { user: qs.as ?? null })
    })
  }
}
