import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import * as z from 'zod'
import type { ChatMessage } from '../../actors/index.ts'
import { CLIENT_ID_PATTERN, MAX_HISTORY_LIMIT, ROOM_NAME_PATTERN, ROOM_NAME_RULE, CLIENT_ID_RULE, clip, describe, kindOf } from '../../protocols/index.ts'
import { AgentProgress } from './agent-progress.ts'
import { HISTORY_DEFAULT, MAX_ERROR_CHARS, MAX_LISTED_ROOMS } from './constants.ts'
import type { McpBackend } from './mcp-backend.ts'

/** The endpoint's tools, by name (what `tools/call` names and the metrics label). */
export const MCP_TOOLS = ['list_rooms', 'read_history', 'post_message', 'ask_agent'] as const
export type McpToolName = typeof MCP_TOOLS[number]

/** Where a tool's unexpected failure is written (the client gets a fixed message). */
export interface ToolLog {
  warn (obj: object, msg: string): void
}

const room = z.string().regex(ROOM_NAME_PATTERN).describe(`The room's name: ${ROOM_NAME_RULE}`)
const message = z.object({
  seq: z.number().int(),
  user: z.string(),
  text: z.string(),
  ts: z.number().int().describe('ms since the epoch'),
  kind: z.enum(['message', 'join', 'leave', 'redaction']),
  clientId: z.string().optional(),
  redacted: z.literal(true).optional().describe('a redacted post: its text is withdrawn'),
  redacts: z.number().int().optional().describe('a redaction: the seq of the post it withdrew')
})

/**
 * Registers the endpoint's tools on `server`, acting as `user`: list the rooms, read a room's
 * history, post to a room (with the client's id, so that a retry is stored once), and ask the
 * user's own agent (its answer streamed as progress notifications when the call asks for them,
 * the whole text as the result; a cancelled call cancels the generation). Arguments are checked
 * against strict schemas (an unknown argument is refused) and again by the backend; a failure is
 * the tool's error result, naming what was wrong, never a crash.
 */
export function registerTools (server: McpServer, backend: McpBackend, user: string, log: ToolLog): void {
  const failed = (tool: McpToolName, err: unknown): CallToolResult => toolError(tool, err, log)
  registerRoomTools(server, backend, user, failed)
  registerAgentTool(server, backend, user, failed)
}

type Failed = (tool: McpToolName, err: unknown) => CallToolResult

/** list_rooms, read_history, post_message. */
function registerRoomTools (server: McpServer, backend: McpBackend, user: string, failed: Failed): void {
  server.registerTool('list_rooms', {
    title: 'List rooms',
    description: `The chat rooms of this Plexi cluster, oldest first (at most ${MAX_LISTED_ROOMS}).`,
    inputSchema: z.strictObject({}),
    outputSchema: z.object({ rooms: z.array(z.object({ name: z.string(), createdAt: z.number(), createdBy: z.string() })), truncated: z.boolean() }),
    annotations: { readOnlyHint: true, openWorldHint: false }
  }, async () => {
    try {
      const all = await backend.rooms()
      const rooms = all.slice(0, MAX_LISTED_ROOMS).map((r) => ({ name: r.name, createdAt: r.createdAt, createdBy: r.createdBy }))
      return structured({ rooms, truncated: all.length > rooms.length })
    } catch (err) {
      return failed('list_rooms', err)
    }
  })

  server.registerTool('read_history', {
    title: 'Read a room',
    description: `A room's messages in order: the last \`limit\` ones, or with \`after\` the ones after that seq (to read on from where you stopped). Each has its seq, its poster, its text and its time.`,
    inputSchema: z.strictObject({
      room,
      after: z.number().int().min(0).optional().describe('Only messages after this seq (omit for the most recent ones)'),
      limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional().describe(`How many messages at most (default ${HISTORY_DEFAULT})`)
    }),
    outputSchema: z.object({ room: z.string(), lastSeq: z.number().int(), messages: z.array(message) }),
    annotations: { readOnlyHint: true, openWorldHint: false }
  }, async (args) => {
    try {
      const history = await backend.history(args.room, { after: args.after, limit: args.limit ?? HISTORY_DEFAULT })
      return structured({ room: history.room, lastSeq: history.lastSeq, messages: history.messages.map(plainMessage) })
    } catch (err) {
      return failed('read_history', err)
    }
  })

  server.registerTool('post_message', {
    title: 'Post to a room',
    description: `Posts a message to a room as you (the room is made by its first post). Give a client_id (e.g. a UUID) to make the post safe to retry: a post with a client_id you used before is not stored again, and answers with the first one's seq. Mention @agent to have your agent answer in the room.`,
    inputSchema: z.strictObject({
      room,
      text: z.string().min(1).max(backend.maxMessageBytes).describe(`The message (at most ${backend.maxMessageBytes} bytes of UTF-8)`),
      client_id: z.string().regex(CLIENT_ID_PATTERN).optional().describe(`Your id for this post: ${CLIENT_ID_RULE}`)
    }),
    outputSchema: z.object({ room: z.string(), seq: z.number().int(), ts: z.number().int() }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false }
  }, async (args) => {
    try {
      const ack = await backend.post(user, args.room, args.text, args.client_id)
      return structured({ room: ack.room, seq: ack.seq, ts: ack.ts })
    } catch (err) {
      return failed('post_message', err)
    }
  })
}

/** ask_agent: the answer as progress while it is made, whole as the result. */
function registerAgentTool (server: McpServer, backend: McpBackend, user: string, failed: Failed): void {
  server.registerTool('ask_agent', {
    title: 'Ask your agent',
    description: 'Asks your own Plexi agent (it keeps the conversation, its persona and its model). Its answer streams as progress notifications when you send a progressToken (each message is the next piece of the text); the result is the whole answer. Cancelling the call stops the generation.',
    inputSchema: z.strictObject({
      question: z.string().min(1).max(backend.maxMessageBytes).describe(`What to ask (at most ${backend.maxMessageBytes} bytes of UTF-8)`)
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false }
  }, async (args, extra) => {
    const token = extra._meta?.progressToken
    const progress = token === undefined
      ? undefined
      : new AgentProgress(token, async (params) => { await extra.sendNotification({ method: 'notifications/progress', params }) })
    try {
      const answer = await backend.ask(user, args.question, {
        signal: extra.signal,
        onEvent: (event) => { if (event.kind === 'token') progress?.push(event.text) }
      })
      await progress?.flushed()
      return {
        content: [{ type: 'text', text: answer.text }],
        _meta: { 'plexi/answer': { model: answer.model, stopReason: answer.stopReason, promptTokens: answer.promptTokens, completionTokens: answer.completionTokens } }
      }
    } catch (err) {
      return failed('ask_agent', err)
    }
  })
}

/** A tool's result with structured content, and the same as JSON text for clients that read
 * only text (the spec's advice). */
function structured (value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value }
}

function plainMessage (m: ChatMessage): z.infer<typeof message> {
  return {
    seq: m.seq, user: m.user, text: m.text, ts: m.ts, kind: m.kind, ...(m.clientId !== undefined && { clientId: m.clientId }),
    ...(m.redacted === true && { redacted: true as const }), ...(m.redacts !== undefined && { redacts: m.redacts })
  }
}

/**
 * A failure as the tool's error result: the client's own mistakes and refusals (a bad argument,
 * an unknown room, a rate limit) say what was wrong; a failure of the node or a member says so
 * without its details, which are logged (they may name internal hosts).
 */
export function toolError (tool: string, err: unknown, log: ToolLog): CallToolResult {
  const kind = kindOf(err)
  let text: string
  if (kind === 'internal') {
    log.warn({ err, tool }, `mcp tool ${tool} failed: ${describe(err)}`)
    text = `${tool} failed on the server; see the node's log`
  } else if (kind === 'unavailable' || kind === 'timeout') {
    text = `${tool}: the cluster cannot serve this now (${kind}); retry shortly`
  } else {
    text = clip(err instanceof Error ? err.message : String(err), MAX_ERROR_CHARS)
  }
  return { content: [{ type: 'text', text }], isError: true }
}
