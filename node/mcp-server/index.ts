/** Plexi as an MCP server: `/mcp` (streamable HTTP) on the OpenAI listener, a user's token as its
 * bearer; tools to list rooms, read and post, and ask the user's own agent; rooms as resources. */
export { mcpRoutes } from './mcp-routes.ts'
export type { McpRoutesDeps } from './mcp-routes.ts'
export { mcpBackend } from './mcp-backend.ts'
export type { McpBackend, McpBackendDeps, RoomHistory } from './mcp-backend.ts'
export { NO_MCP_METRICS, mcpMetrics } from './mcp-metrics.ts'
export type { McpMetrics, McpOutcome, McpRefusal, SessionEnd } from './mcp-metrics.ts'
export { MCP_TOOLS } from './mcp-tools.ts'
export type { McpToolName } from './mcp-tools.ts'
export { ROOM_URI_TEMPLATE, roomUri } from './room-resources.ts'
export { LOOPBACK_HOSTNAMES, hostCheck, isLoopback } from './host-check.ts'
export * from './constants.ts'
export * from './errors.ts'
