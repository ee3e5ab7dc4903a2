import { assertNever, checkServerRegistration } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { McpServerExistsError, McpServerRegistryFullError } from './errors.ts'
import { MAX_MCP_SERVERS, MCP_SERVERS, checkMcpServerRegistryMsg } from './mcp-server-registry-protocol.ts'
import type { McpServerEntry, McpServerRegistryEvent, McpServerRegistryMsg, McpServerRegistryState } from './mcp-server-registry-protocol.ts'

/**
 * The MCP servers an admin registered for the cluster: `mcp-servers/cluster`, one entity on a
 * plugins-role member, journaled and replicated like any other, so every plugins-role member
 * reads the same list (and connects to each server) after any node's death. Each change is
 * answered once durable.
 */
export const mcpServerRegistry: EntityType<McpServerRegistryMsg, McpServerRegistryState, McpServerRegistryEvent> = {
  type: MCP_SERVERS.type,
  role: 'plugins',
  initialState: () => ({ servers: {} }),
  applyEvent (state, event) {
    const servers = { ...state.servers }
    switch (event.type) {
      case 'server-registered':
        servers[event.registration.name] = { registration: event.registration, ts: event.ts }
        break
      case 'server-removed':
        delete servers[event.name]
        break
      default:
        assertNever(event, 'MCP server registry event')
    }
    return { servers }
  },
  check: checkMcpServerRegistryMsg,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'register': {
        // only the registration's own fields are journaled (a peer may send more)
        const registration = checkServerRegistration(msg.registration)
        const exists = Object.hasOwn(ctx.state.servers, registration.name)
        if (exists && !msg.replace) return ctx.fail(msg.replyTo, new McpServerExistsError(registration.name))
        if (!exists && Object.keys(ctx.state.servers).length >= MAX_MCP_SERVERS) return ctx.fail(msg.replyTo, new McpServerRegistryFullError(MAX_MCP_SERVERS))
        await ctx.persist({ type: 'server-registered', registration, ts: msg.ts })
        return ctx.reply(msg.replyTo, ctx.state.servers[registration.name] as McpServerEntry)
      }
      case 'remove': {
        if (!Object.hasOwn(ctx.state.servers, msg.name)) return ctx.reply(msg.replyTo, false)
        await ctx.persist({ type: 'server-removed', name: msg.name })
        return ctx.reply(msg.replyTo, true)
      }
      case 'list':
        return ctx.reply(msg.replyTo, Object.values(ctx.state.servers).sort((a, b) => (a.registration.name < b.registration.name ? -1 : 1)))
      default:
        assertNever(msg, 'MCP server registry message')
    }
  }
}
