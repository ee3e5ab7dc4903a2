import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import { ROOM_NAME_RULE, clip, describe, isRoomName, kindOf } from '../../protocols/index.ts'
import { MAX_LISTED_ROOMS, RESOURCE_HISTORY } from './constants.ts'
import type { McpBackend } from './mcp-backend.ts'
import type { ToolLog } from './mcp-tools.ts'

/** The spec's error code for a resource that does not exist (server/resources, "Error Handling"). */
export const RESOURCE_NOT_FOUND = -32002

/** Rooms are resources under this template. */
export const ROOM_URI_TEMPLATE = 'plexi://rooms/{name}'

/** Room completions offered for a partial name, at most: an editor's picker holds this many. */
const MAX_COMPLETIONS = 100

/** A room's resource URI. */
export function roomUri (name: string): string {
  return `plexi://rooms/${name}`
}

/**
 * Registers the rooms as resources on `server`: `plexi://rooms/<name>`, listed (every room, at
 * most MAX_LISTED_ROOMS), completed by name prefix, and read as the room's recent history (its
 * last RESOURCE_HISTORY messages) in JSON. A room no one posted in is not found (-32002), a name
 * that breaks the rule is an invalid parameter; a failure of the node is an internal error whose
 * details are logged, not sent.
 */
export function registerRoomResources (server: McpServer, backend: McpBackend, log: ToolLog): void {
  const template = new ResourceTemplate(ROOM_URI_TEMPLATE, {
    list: async () => {
      const rooms = await backend.rooms().catch((err: unknown) => { throw resourceError(ROOM_URI_TEMPLATE, err, log) })
      return {
        resources: rooms.slice(0, MAX_LISTED_ROOMS).map((r) => ({
          uri: roomUri(r.name),
          name: r.name,
          title: `#${r.name}`,
          description: `Chat room ${r.name}, made by ${r.createdBy}: its last ${RESOURCE_HISTORY} messages`,
          mimeType: 'application/json'
        }))
      }
    },
    complete: {
      name: async (value) => {
        const rooms = await backend.rooms().catch(() => [])
        return rooms.map((r) => r.name).filter((n) => n.startsWith(value)).slice(0, MAX_COMPLETIONS)
      }
    }
  })
  server.registerResource('room', template, {
    title: 'Chat room',
    description: `A chat room's recent history (its last ${RESOURCE_HISTORY} messages, oldest first) as JSON: { room, lastSeq, messages: [{ seq, user, text, ts, kind }] }`,
    mimeType: 'application/json'
  }, async (uri, variables): Promise<ReadResourceResult> => {
    const name = variables.name
    if (typeof name !== 'string' || !isRoomName(name)) {
      throw new McpError(ErrorCode.InvalidParams, `${clip(uri.href, 120)} names no room: a room's name is ${ROOM_NAME_RULE}`)
    }
    try {
      const history = await backend.history(name, { limit: RESOURCE_HISTORY })
      const messages = history.messages.map((m) => ({ seq: m.seq, user: m.user, text: m.text, ts: m.ts, kind: m.kind }))
      return { contents: [{ uri: roomUri(name), mimeType: 'application/json', text: JSON.stringify({ room: name, lastSeq: history.lastSeq, messages }) }] }
    } catch (err) {
      throw resourceError(roomUri(name), err, log)
    }
  })
}

/** A failure to list or read as the JSON-RPC error the client gets. */
function resourceError (uri: string, err: unknown, log: ToolLog): McpError {
  const kind = kindOf(err)
  if (kind === 'not-found') return new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri })
  if (kind === 'invalid') return new McpError(ErrorCode.InvalidParams, err instanceof Error ? err.message : String(err))
  if (kind === 'internal') log.warn({ err, uri }, `mcp resource ${uri} failed: ${describe(err)}`)
  return new McpError(ErrorCode.InternalError, `${uri} cannot be read now (${kind}); retry shortly`)
}
