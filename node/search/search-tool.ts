import { InvalidToolCallError, ToolDeniedError, describe } from '../../protocols/index.ts'
import type { ToolCall, ToolProvider, ToolResult, ToolSpec } from '../../protocols/index.ts'
import type { SearchResult } from './cluster-search.ts'
import { SEARCH_TOOL, TOOL_MAX_DAYS, TOOL_MAX_HITS } from './constants.ts'
import { checkSearchQuery } from './search-query.ts'
import type { SearchQuery, SearchViewer } from './search-query.ts'

/** The built-in tool as agents are offered it. */
export const SEARCH_TOOL_SPEC: ToolSpec = {
  name: SEARCH_TOOL,
  source: { kind: 'builtin', name: 'plexi' },
  tool: 'search',
  description: 'Search the chat rooms and your own past conversation with the user for posts matching words (or, with mode semantic, meaning). Returns the best posts with their room, number, author and time.',
  inputSchema: {
    type: 'object',
    required: ['query'],
    properties: {
      query: { type: 'string', description: 'the words to find' },
      room: { type: 'string', description: 'only this room' },
      author: { type: 'string', description: 'only posts by this user' },
      days: { type: 'integer', minimum: 1, maximum: TOOL_MAX_DAYS, description: 'only posts of the last this many days' },
      limit: { type: 'integer', minimum: 1, maximum: TOOL_MAX_HITS, description: 'at most this many posts (default 5)' },
      mode: { type: 'string', enum: ['text', 'semantic', 'hybrid'] }
    }
  }
}

export interface SearchToolOptions {
  /** The node's other tools (ClusterTools). */
  readonly inner: ToolProvider
  /** The node's search, across the cluster. */
  readonly search: (query: SearchQuery, viewer: SearchViewer) => Promise<SearchResult>
  /** The users' tool policy: `plexi__search` is offered and called only where it is granted. */
  readonly allowed: (user: string, tool: ToolSpec) => Promise<boolean>
  readonly now?: () => number
}

/**
 * The node's tools with search built in: `plexi__search`, offered to a user's agent where their
 * policy grants it (like any tool), and run as that user: every room and their own agent
 * conversation, enforced by each node that answers. Other tools go to `inner`.
 */
export class SearchTool implements ToolProvider {
  readonly #opts: SearchToolOptions

  constructor (opts: SearchToolOptions) {
    this.#opts = opts
  }

  async tools (user: string): Promise<readonly ToolSpec[]> {
    const [inner, allowed] = await Promise.all([this.#opts.inner.tools(user), this.#opts.allowed(user, SEARCH_TOOL_SPEC)])
    return allowed ? [...inner, SEARCH_TOOL_SPEC] : inner
  }

  async call (user: string, call: ToolCall, opts?: { readonly signal?: AbortSignal, readonly deadlineMs?: number }): Promise<ToolResult> {
    if (call.name !== SEARCH_TOOL) return await this.#opts.inner.call(user, call, opts)
    if (!(await this.#opts.allowed(user, SEARCH_TOOL_SPEC))) throw new ToolDeniedError(user, SEARCH_TOOL)
    let query: SearchQuery
    try {
      query = this.#query(call.arguments)
    } catch (err) {
      // the model's arguments are its to fix: an error result it reads, not a failed turn
      return { callId: call.id, isError: true, text: (err as Error).message }
    }
    try {
      return { callId: call.id, isError: false, text: resultText(await this.#opts.search(query, { user })) }
    } catch (err) {
      return { callId: call.id, isError: true, text: `search failed: ${describe(err)}` }
    }
  }

  /** The tool's arguments as a query (checkSearchQuery's errors, which name the field). */
  #query (args: Readonly<Record<string, unknown>>): SearchQuery {
    const known = new Set(['query', 'room', 'author', 'days', 'limit', 'mode'])
    const extra = Object.keys(args).find((k) => !known.has(k))
    if (extra !== undefined) throw new InvalidToolCallError(`${SEARCH_TOOL}: unknown argument ${JSON.stringify(extra.slice(0, 40))}; the arguments are ${[...known].join(', ')}`)
    const days = args.days
    if (days !== undefined && (!Number.isSafeInteger(days) || (days as number) < 1 || (days as number) > TOOL_MAX_DAYS)) throw new InvalidToolCallError(`${SEARCH_TOOL}: days: expected an integer from 1 to ${TOOL_MAX_DAYS}`)
    const limit = args.limit ?? 5
    if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > TOOL_MAX_HITS) throw new InvalidToolCallError(`${SEARCH_TOOL}: limit: expected an integer from 1 to ${TOOL_MAX_HITS}`)
    const now = this.#opts.now?.() ?? Date.now()
    return checkSearchQuery({
      text: args.query,
      limit,
      ...(args.mode !== undefined && { mode: args.mode }),
      ...(args.room !== undefined && { rooms: [args.room] }),
      ...(args.author !== undefined && { author: args.author }),
      ...(days !== undefined && { since: Math.max(0, now - (days as number) * 86_400_000) })
    })
  }
}

/** The answer as a model reads it: one line per post, and what could not be searched. */
function resultText (r: SearchResult): string {
  const lines = r.hits.map((h) => `${h.kind === 'room' ? `room ${h.name}` : 'your conversation'} #${h.seq}, ${h.author}, ${new Date(h.ts).toISOString()}: ${h.snippet}`)
  if (lines.length === 0) lines.push('no posts found')
  if (r.partial) lines.push('(some posts could not be searched just now: the answer may be incomplete)')
  return lines.join('\n')
}
