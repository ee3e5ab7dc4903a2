/** Search as `GET /api/v1/search` answers it (docs/search.md). */
import { MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_CHARS } from '../limits.ts'
import { USER_NAME_PATTERN } from '../names.ts'

export const searchHitSchema = {
  $id: 'SearchHit',
  type: 'object',
  required: ['kind', 'name', 'seq', 'author', 'ts', 'snippet', 'marks', 'score'],
  properties: {
    kind: { type: 'string', enum: ['room', 'agent'] },
    name: { type: 'string', description: 'the room\'s name, or the agent\'s user' },
    seq: { type: 'integer', description: 'the post\'s seq: open the room there (history after seq - 1)' },
    author: { type: 'string' },
    ts: { type: 'integer', description: 'ms since the epoch' },
    snippet: { type: 'string' },
    marks: { type: 'array', items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 }, description: '[start, length] of each match in the snippet (UTF-16 code units)' },
    score: { type: 'number', description: 'higher is better; comparable within one answer only' }
  }
} as const

export const searchResultSchema = {
  $id: 'SearchResult',
  type: 'object',
  required: ['hits', 'partial', 'missing', 'incomplete', 'failed', 'semantic', 'embedMs'],
  properties: {
    hits: { type: 'array', items: { $ref: 'SearchHit#' } },
    partial: { type: 'boolean', description: 'some partitions did not answer, or an index that answered is still being rebuilt' },
    missing: { type: 'array', items: { type: 'integer' }, description: 'partitions no replica answered for' },
    incomplete: { type: 'array', items: { type: 'string' }, description: 'nodes whose index was being rebuilt' },
    failed: { type: 'array', items: { type: 'object', required: ['node', 'error'], properties: { node: { type: 'string' }, error: { type: 'string' } } } },
    semantic: { type: 'string', enum: ['used', 'partial', 'unavailable', 'not-asked'] },
    embedMs: { type: 'number', description: 'the query\'s embedding on this node (ms)' }
  }
} as const

export const searchQuerystring = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: {
    q: { type: 'string', minLength: 1, maxLength: MAX_SEARCH_QUERY_CHARS, description: 'the words, all required (a word ending in * is a prefix)' },
    rooms: { type: 'string', description: 'only these rooms, comma-separated' },
    author: { type: 'string', pattern: USER_NAME_PATTERN.source, description: 'only posts by this user (an agent\'s answers: agent)' },
    since: { type: 'integer', minimum: 0, description: 'ms since the epoch, inclusive' },
    until: { type: 'integer', minimum: 0, description: 'ms since the epoch, exclusive' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT, default: 20 },
    mode: { type: 'string', enum: ['text', 'semantic', 'hybrid'], default: 'text' },
    scope: { type: 'string', enum: ['all', 'rooms', 'agent'], default: 'all', description: 'rooms, agent conversations, or both' },
    as: { type: 'string', pattern: USER_NAME_PATTERN.source, description: 'search as this user sees (every room, their own agent) instead of as an admin (every agent)' }
  }
} as const
