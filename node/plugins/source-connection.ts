import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ErrorCode, LoggingMessageNotificationSchema, McpError, ResultSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import type { PlexiCapability, ToolCall, ToolResult, ToolSource, ToolSpec } from '../../protocols/index.ts'
import { VERSION } from '../constants.ts'
import { MAX_TOOL_LIST_PAGES } from './constants.ts'
import { PluginFailedError, PluginProtocolError, PluginTimeoutError, PluginUnavailableError } from './errors.ts'
import { checkPlexiAnswer } from './plexi-answer.ts'
import type { PlexiMethod } from './plexi-answer.ts'
import { checkPlexiCapability } from './plexi-capability.ts'
import { sourceTools } from './source-tools.ts'
import type { LeftOutTool } from './source-tools.ts'
import { toolResultOf } from './tool-result-text.ts'

/** What a connection logs through (pino's shape). */
export interface SourceLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  debug (obj: object, msg: string): void
}

export interface SourceConnectionOptions {
  readonly source: ToolSource
  readonly log: SourceLog
  /** How long `initialize` and the first `tools/list` may take. */
  readonly startTimeoutMs: number
  /** The source says its tools changed and the new list was read. */
  readonly onToolsChanged?: () => void
  /** Aborts the opening (the host is stopping the source). */
  readonly signal?: AbortSignal
}

/**
 * One MCP client connection to a plugin or a registered server (the SDK's Client over any
 * Transport): `initialize`, its Plexi capability, its tools (re-read when it says they changed),
 * tool calls and Plexi requests, each with a deadline, and pings. Everything the source answers is
 * checked like client input before the node uses it; a source that breaks its protocol fails the
 * call, never the node.
 */
export class SourceConnection {
  readonly #client: Client
  readonly #opts: SourceConnectionOptions
  #capability: PlexiCapability | undefined
  #tools: readonly ToolSpec[] = []

  private constructor (client: Client, opts: SourceConnectionOptions) {
    this.#client = client
    this.#opts = opts
  }

  /** Connects over `transport` (started by the SDK), reads the capability and the tools. */
  static async open (transport: Transport, opts: SourceConnectionOptions): Promise<SourceConnection> {
    const client = new Client({ name: 'plexi', version: VERSION }, { capabilities: {} })
    const conn = new SourceConnection(client, opts)
    const timing = { timeout: opts.startTimeoutMs, ...(opts.signal !== undefined && { signal: opts.signal }) }
    await client.connect(transport, timing)
    conn.#capability = checkPlexiCapability(opts.source.name, client.getServerCapabilities()?.experimental?.plexi)
    await conn.#listTools(timing)
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      conn.#listTools({ timeout: opts.startTimeoutMs }).then(() => { opts.onToolsChanged?.() }, (err: unknown) => {
        opts.log.warn({ source: opts.source.name, err }, `${opts.source.name} said its tools changed, and listing them failed: ${(err as Error).message}`)
      })
    })
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      opts.log.debug({ source: opts.source.name, level: n.params.level }, `${opts.source.name} logged: ${clip(JSON.stringify(n.params.data) ?? '', 500)}`)
    })
    return conn
  }

  get capability (): PlexiCapability | undefined { return this.#capability }

  get tools (): readonly ToolSpec[] { return this.#tools }

  /** Calls `tool` (its own name at the source). The tool's failure, or an answer that is not a
   * tool result, is a ToolResult with isError; a deadline passed is PluginTimeoutError; a source
   * gone is PluginUnavailableError. */
  async callTool (call: ToolCall, tool: string, deadlineMs: number, signal?: AbortSignal): Promise<ToolResult> {
    const name = this.#opts.source.name
    let answer: unknown
    try {
      answer = await this.#request('tools/call', { name: tool, arguments: call.arguments }, `the call of ${tool}`, deadlineMs, signal)
    } catch (err) {
      if (err instanceof PluginFailedError) return { callId: call.id, isError: true, text: `${name} could not run ${tool}: ${err.said}` }
      throw err
    }
    return toolResultOf(call.id, name, answer)
  }

  /** Sends a Plexi request; its answer checked (checkPlexiAnswer). */
  async request (method: PlexiMethod, params: Record<string, unknown>, deadlineMs: number, signal?: AbortSignal): Promise<unknown> {
    return checkPlexiAnswer(this.#opts.source.name, method, await this.#request(method, params, method, deadlineMs, signal))
  }

  /** Resolves when the source answers a ping within `timeoutMs`. */
  async ping (timeoutMs: number): Promise<void> {
    await this.#request('ping', undefined, 'a ping', timeoutMs)
  }

  async close (): Promise<void> {
    await this.#client.close()
  }

  async #listTools (timing: { timeout: number, signal?: AbortSignal }): Promise<void> {
    if (this.#client.getServerCapabilities()?.tools === undefined) {
      this.#tools = []
      return
    }
    const listed: unknown[] = []
    let cursor: string | undefined
    for (let page = 0; page < MAX_TOOL_LIST_PAGES; page++) {
      const answer = await this.#client.request({ method: 'tools/list', params: cursor === undefined ? {} : { cursor } }, ResultSchema, timing)
      if (Array.isArray(answer.tools)) listed.push(...answer.tools)
      cursor = typeof answer.nextCursor === 'string' ? answer.nextCursor : undefined
      if (cursor === undefined) break
    }
    const { tools, leftOut } = sourceTools(this.#opts.source, listed)
    this.#tools = tools
    this.#logLeftOut(leftOut)
  }

  #logLeftOut (leftOut: readonly LeftOutTool[]): void {
    const { source, log } = this.#opts
    for (const { tool, why } of leftOut.slice(0, 10)) log.warn({ source: source.name, tool }, `tool ${clip(tool, 80)} of ${source.name} left out: ${why}`)
    if (leftOut.length > 10) log.warn({ source: source.name }, `${leftOut.length - 10} more tools of ${source.name} left out`)
  }

  /** One request with its deadline: the abort's reason (PluginTimeoutError, or the caller's) is
   * what the SDK rejects with, and it tells the source the request is cancelled. */
  async #request (method: string, params: Record<string, unknown> | undefined, what: string, deadlineMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const name = this.#opts.source.name
    const deadline = new AbortController()
    const timer = setTimeout(() => { deadline.abort(new PluginTimeoutError(name, what, deadlineMs)) }, deadlineMs)
    const abort = signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal])
    try {
      // the SDK's own timeout comes after ours: its error would not name the plugin
      return await this.#client.request({ method, ...(params !== undefined && { params }) }, ResultSchema, { signal: abort, timeout: deadlineMs + 1_000 })
    } catch (err) {
      if (abort.aborted) throw abort.reason
      if (err instanceof McpError && err.code !== ErrorCode.ConnectionClosed && err.code !== ErrorCode.RequestTimeout) {
        throw new PluginFailedError(name, what, err.message.replace(/^MCP error -?\d+: /, ''))
      }
      if (err instanceof Error && err.name.includes('ZodError')) throw new PluginProtocolError(`${name} answered ${what} with something that is not a JSON-RPC result`)
      throw new PluginUnavailableError(name, `the connection closed during ${what}`)
    } finally {
      clearTimeout(timer)
    }
  }
}

function clip (text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
