/**
 * A minimal MCP server over stdio, with no dependency: newline-delimited JSON-RPC 2.0 on stdin and
 * stdout, which is what MCP's stdio transport is (one message per line, no embedded newline), and
 * what Plexi speaks to a plugin. It answers `initialize` (declaring Plexi's capability when given
 * one), `ping`, `tools/list`, `tools/call`, and the requests a plugin handles itself (Plexi's
 * `plexi/command`, `plexi/before-post`, `plexi/after-post`). Nothing but protocol goes to stdout;
 * write diagnostics to stderr, which Plexi keeps for `plexi admin plugins logs`.
 *
 * The examples each carry this same file (a package holds only its own files, so they cannot
 * share one; a spec holds the copies equal): copy it into a plugin of your own, or use
 * `@modelcontextprotocol/sdk` and ship it in your package instead.
 */
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'

/** The MCP protocol versions this server speaks, newest first: it answers the version a client
 * asks for when it is one of these, else the newest (the client then decides whether to go on). */
export const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const

/** JSON-RPC error codes (https://www.jsonrpc.org/specification#error_object). */
export const ErrorCode = { parse: -32700, invalidRequest: -32600, methodNotFound: -32601, invalidParams: -32602, internal: -32603 } as const

/** A failure answered as a JSON-RPC error with its code (a bad request: -32602). */
export class RequestError extends Error {
  override readonly name = 'RequestError'
  readonly code: number
  constructor (code: number, message: string) {
    super(message)
    this.code = code
  }
}

/** What a tool answers: its text for the model and the user, whether it failed (a tool's own
 * failure is a result the model reads, not a protocol error), and its structured result. */
export interface ToolAnswer {
  readonly text: string
  readonly isError?: boolean
  readonly structured?: Readonly<Record<string, unknown>>
}

export interface Tool {
  /** `^[a-zA-Z0-9_-]{1,64}$`: Plexi offers it as `<plugin>__<name>`. */
  readonly name: string
  readonly description: string
  /** The JSON schema of its arguments (an object's). */
  readonly inputSchema: Readonly<Record<string, unknown>>
  /** The JSON schema of `structured`, when it gives one. */
  readonly outputSchema?: Readonly<Record<string, unknown>>
  run (args: Readonly<Record<string, unknown>>): ToolAnswer | Promise<ToolAnswer>
}

/** A request the plugin answers itself; what it returns is the result, what it throws an error. */
export type RequestHandler = (params: Readonly<Record<string, unknown>>) => unknown

export interface ServerSpec {
  readonly name: string
  readonly version: string
  readonly tools?: readonly Tool[]
  /** Plexi's capability (`capabilities.experimental.plexi`): the commands and hooks it answers. */
  readonly plexi?: Readonly<Record<string, unknown>>
  /** Handlers by method (`plexi/command`…). */
  readonly requests?: Readonly<Record<string, RequestHandler>>
  /** @default process.stdin */
  readonly input?: Readable
  /** @default process.stdout */
  readonly output?: Writable
  /** Where the plugin's own failures are written. @default process.stderr */
  readonly log?: Writable
}

type Message = Record<string, unknown>

/** Serves `spec` on stdin and stdout until stdin ends (Plexi closes it to stop a plugin). */
export function serve (spec: ServerSpec): void {
  const output = spec.output ?? process.stdout
  const log = spec.log ?? process.stderr
  const send = (message: Message): void => { output.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`) }
  const lines = createInterface({ input: spec.input ?? process.stdin, crlfDelay: Infinity })
  lines.on('line', (line) => {
    if (line.trim() === '') return
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      send({ id: null, error: { code: ErrorCode.parse, message: 'Parse error: a line that is not JSON' } })
      return
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message) || (message as Message).jsonrpc !== '2.0') {
      send({ id: null, error: { code: ErrorCode.invalidRequest, message: 'Invalid Request: expected one JSON-RPC 2.0 message per line' } })
      return
    }
    const msg = message as Message
    // a notification (initialized, cancelled…) or a response: nothing to answer
    if (typeof msg.method !== 'string' || !('id' in msg)) return
    answer(spec, msg.method, params(msg.params)).then((result) => { send({ id: msg.id, result }) }, (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err)
      if (err instanceof RequestError) {
        send({ id: msg.id, error: { code: err.code, message } })
        return
      }
      // the plugin's own failure, not the caller's: said in its log too
      log.write(`${msg.method} failed: ${err instanceof Error && err.stack !== undefined ? err.stack : message}\n`)
      send({ id: msg.id, error: { code: ErrorCode.internal, message } })
    })
  })
}

function params (value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}
}

/** The result of one request, or a throw (RequestError for the client's mistakes). */
async function answer (spec: ServerSpec, method: string, p: Record<string, unknown>): Promise<unknown> {
  switch (method) {
    case 'initialize': {
      const asked = p.protocolVersion
      const protocolVersion = PROTOCOL_VERSIONS.find((v) => v === asked) ?? PROTOCOL_VERSIONS[0]
      const capabilities = { tools: {}, ...(spec.plexi !== undefined && { experimental: { plexi: spec.plexi } }) }
      return { protocolVersion, capabilities, serverInfo: { name: spec.name, version: spec.version } }
    }
    case 'ping':
      return {}
    case 'tools/list':
      return { tools: (spec.tools ?? []).map(({ name, description, inputSchema, outputSchema }) => ({ name, description, inputSchema, ...(outputSchema !== undefined && { outputSchema }) })) }
    case 'tools/call':
      return await callTool(spec.tools ?? [], p)
    default: {
      const handler = spec.requests?.[method]
      if (handler === undefined) throw new RequestError(ErrorCode.methodNotFound, `Method not found: ${method}`)
      return await handler(p)
    }
  }
}

async function callTool (tools: readonly Tool[], p: Record<string, unknown>): Promise<unknown> {
  const tool = tools.find((t) => t.name === p.name)
  if (tool === undefined) throw new RequestError(ErrorCode.invalidParams, `Unknown tool: ${String(p.name)}`)
  if (p.arguments !== undefined && (typeof p.arguments !== 'object' || p.arguments === null || Array.isArray(p.arguments))) {
    throw new RequestError(ErrorCode.invalidParams, 'arguments: expected an object')
  }
  let out: ToolAnswer
  try {
    out = await tool.run((p.arguments ?? {}) as Record<string, unknown>)
  } catch (err) {
    // a bug of the tool is its failure, said to the model, not a protocol error
    out = { text: `${tool.name} failed: ${err instanceof Error ? err.message : String(err)}`, isError: true }
  }
  return {
    content: [{ type: 'text', text: out.text }],
    ...(out.structured !== undefined && { structuredContent: out.structured }),
    ...(out.isError === true && { isError: true })
  }
}
