import type { IncomingMessage, ServerResponse } from 'node:http'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js'
import { VERSION } from '../constants.ts'
import { MCP_SERVER_NAME } from './constants.ts'
import type { McpBackend } from './mcp-backend.ts'
import { methodLabel } from './mcp-metrics.ts'
import type { McpMetrics, McpOutcome, SessionEnd } from './mcp-metrics.ts'
import { MCP_TOOLS, registerTools } from './mcp-tools.ts'
import type { ToolLog } from './mcp-tools.ts'
import { registerRoomResources } from './room-resources.ts'

/** What the server tells a client it is for, in its `initialize` answer. */
const INSTRUCTIONS = 'Plexi: the chat rooms of a Plexi cluster and your own Plexi agent, as the user whose token you sent. ' +
  'Tools: list_rooms, read_history, post_message (give a client_id to make it safe to retry), ask_agent (send a progressToken to get the answer as it is written). ' +
  'Resources: plexi://rooms/<name>, a room\'s recent history.'

export interface McpSessionOptions {
  /** The session's id (a UUID the endpoint made): the transport hands it to the client. */
  readonly id: string
  /** Whose session it is: every tool acts as this user, and only their requests reach it. */
  readonly user: string
  readonly backend: McpBackend
  readonly metrics: McpMetrics
  readonly log: ToolLog
  /** The transport initialized the session (its `initialize` was answered). */
  readonly onInitialized: (session: McpSession) => void
  /** The client ended the session (DELETE). */
  readonly onDeleted: (session: McpSession) => void
}

/** A request of the session's client, from its arrival to its answer. */
interface Pending {
  readonly method: string
  readonly since: number
}

/**
 * One MCP session: an McpServer with the endpoint's tools and resources bound to one user, over a
 * streamable HTTP transport (SSE answers; no resumability: an answer whose stream is gone is
 * lost, so the request is cancelled). Counts each request as it settles. `busy` while a request
 * of it is in flight or its stream is open: an idle session may be closed for a newer one or
 * expire; a busy one never is.
 */
export class McpSession {
  readonly id: string
  readonly user: string
  readonly #server: McpServer
  readonly #transport: StreamableHTTPServerTransport
  readonly #metrics: McpMetrics
  readonly #pending = new Map<RequestId, Pending>()
  #lastSeen = performance.now()
  #busy = 0
  #closed: Promise<void> | undefined

  constructor (opts: McpSessionOptions) {
    this.id = opts.id
    this.user = opts.user
    this.#metrics = opts.metrics
    this.#server = new McpServer({ name: MCP_SERVER_NAME, title: 'Plexi', version: VERSION }, {
      capabilities: { logging: {}, tools: { listChanged: false }, resources: { listChanged: false } },
      instructions: INSTRUCTIONS
    })
    registerTools(this.#server, opts.backend, opts.user, opts.log)
    registerRoomResources(this.#server, opts.backend, opts.log)
    this.#transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => opts.id,
      onsessioninitialized: () => { opts.onInitialized(this) },
      onsessionclosed: () => { opts.onDeleted(this) }
    })
    this.#watch()
  }

  /** Connects the server to its transport (before the first request). */
  async start (): Promise<void> {
    await this.#server.connect(this.#transport)
  }

  /** Its `initialize` was answered: it has a session id the client holds. */
  get initialized (): boolean {
    return this.#transport.sessionId !== undefined
  }

  /** A request of it is in flight or its stream is open. */
  get busy (): boolean {
    return this.#busy > 0
  }

  /** When a request last reached it or left it (performance.now()). */
  get lastSeen (): number {
    return this.#lastSeen
  }

  get closed (): boolean {
    return this.#closed !== undefined
  }

  /**
   * Serves one HTTP request of the session (already authenticated as its user, its body parsed).
   * Busy until the response is written out or its client is gone; a client gone before its
   * answers were written cancels the requests `requestIds` names (their answers could never
   * reach it: a generation stops instead of running on for no one).
   */
  async handle (req: IncomingMessage, res: ServerResponse, body: unknown, requestIds: readonly RequestId[]): Promise<void> {
    this.#busy++
    this.#lastSeen = performance.now()
    res.once('close', () => {
      this.#busy--
      this.#lastSeen = performance.now()
      if (!res.writableFinished) for (const id of requestIds) this.#cancel(id, 'the client\'s connection closed before the answer')
    })
    await this.#transport.handleRequest(req, res, body)
  }

  /** Closes the session: its requests in flight are cancelled, its streams end. Idempotent. */
  async close (why: SessionEnd): Promise<void> {
    this.#closed ??= (async () => {
      // a close that fails leaves nothing to undo: the session's requests are settled just below
      await this.#server.close().catch(() => undefined)
      for (const [id] of this.#pending) this.#settle(id, 'cancelled')
      if (this.initialized) this.#metrics.sessionEnded(why)
    })()
    await this.#closed
  }

  /** Counts every request as it settles: the transport's incoming messages before the server
   * sees them (Protocol.connect calls the handler set before it first), its outgoing ones as the
   * server sends them. */
  #watch (): void {
    this.#transport.onmessage = (message) => { this.#incoming(message) }
    const send = this.#transport.send.bind(this.#transport)
    this.#transport.send = async (message, options) => {
      this.#outgoing(message)
      await send(message, options)
    }
  }

  #incoming (message: JSONRPCMessage): void {
    if ('method' in message && 'id' in message) {
      const tool = message.method === 'tools/call' ? toolLabel(message.params?.name) : undefined
      this.#pending.set(message.id, { method: tool === undefined ? methodLabel(message.method) : `tools/call:${tool}`, since: performance.now() })
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId
      if (typeof id === 'string' || typeof id === 'number') this.#settle(id, 'cancelled')
    }
  }

  #outgoing (message: JSONRPCMessage): void {
    if ('result' in message) {
      const isError = (message.result as { isError?: unknown }).isError === true
      this.#settle(message.id, isError ? 'error' : 'ok')
    } else if ('error' in message && message.id !== undefined) {
      this.#settle(message.id, 'error')
    }
  }

  #settle (id: RequestId, outcome: McpOutcome): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    this.#metrics.request(pending.method, outcome, (performance.now() - pending.since) / 1000)
  }

  /** Cancels request `id` as the client's `notifications/cancelled` would (the server aborts its
   * handler and sends nothing for it). */
  #cancel (id: RequestId, reason: string): void {
    if (!this.#pending.has(id)) return
    this.#transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } })
  }
}

/** A tool's name as the metrics label it: the endpoint's own, or `other`. */
function toolLabel (name: unknown): string {
  return typeof name === 'string' && (MCP_TOOLS as readonly string[]).includes(name) ? name : 'other'
}
