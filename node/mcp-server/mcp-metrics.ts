import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** How a JSON-RPC request of the endpoint ended: answered, answered with an error (a JSON-RPC
 * error, or a tool's error result), or cancelled (by its client, a dropped connection, the
 * session's or the node's close) before it was answered. */
export type McpOutcome = 'ok' | 'error' | 'cancelled'

/** Why a session ended: its client's DELETE, idle past SESSION_IDLE_MS, closed for a newer one of
 * its user (MAX_SESSIONS_PER_USER), or the endpoint's close. */
export type SessionEnd = 'deleted' | 'expired' | 'evicted' | 'closed'

/** Why a request was refused before any session saw it. */
export type McpRefusal = 'host' | 'session-limit' | 'no-session' | 'unknown-session'

/** What the endpoint reports as it serves: each settled request, sessions opening and ending,
 * refusals. */
export interface McpMetrics {
  request (method: string, outcome: McpOutcome, seconds: number): void
  sessionOpened (): void
  sessionEnded (why: SessionEnd): void
  refused (why: McpRefusal): void
}

/** The methods counted by name; any other a client sends is counted as `other`, so that a client
 * cannot grow the metrics' series. */
const METHODS: ReadonlySet<string> = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/read', 'resources/templates/list',
  'logging/setLevel', 'prompts/list', 'prompts/get', 'completion/complete', 'resources/subscribe', 'resources/unsubscribe'
])

/** A request's method as the metrics label it. */
export function methodLabel (method: string): string {
  return METHODS.has(method) ? method : 'other'
}

/** The endpoint's Prometheus metrics (`plexi_mcp_*`), on `registry`. A tool call is labelled
 * `tools/call:<tool>` (the endpoint's own tools only: the session knows their names). */
export function mcpMetrics (registry: Registry): McpMetrics {
  const requests = new Counter({
    name: 'plexi_mcp_requests_total',
    help: 'JSON-RPC requests to /mcp, by method (tools/call:<tool> for a tool call) and outcome (ok, error: a JSON-RPC error or a tool\'s error result, cancelled)',
    labelNames: ['method', 'outcome'],
    registers: [registry]
  })
  const duration = new Histogram({
    name: 'plexi_mcp_request_duration_seconds',
    help: 'Time from a /mcp request\'s arrival to its answer (an agent\'s whole answer for tools/call:ask_agent)',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry]
  })
  const open = new Gauge({ name: 'plexi_mcp_sessions_open', help: 'MCP sessions open on this node', registers: [registry] })
  const ended = new Counter({
    name: 'plexi_mcp_sessions_ended_total',
    help: 'MCP sessions that ended, by why: deleted (the client\'s DELETE), expired (idle), evicted (for a newer one of the same user), closed (the endpoint closed)',
    labelNames: ['why'],
    registers: [registry]
  })
  const refusals = new Counter({
    name: 'plexi_mcp_refusals_total',
    help: 'Requests to /mcp refused before a session saw them, by why: host (DNS-rebinding protection), session-limit, no-session (not an initialize, without a session id), unknown-session',
    labelNames: ['why'],
    registers: [registry]
  })
  for (const why of ['deleted', 'expired', 'evicted', 'closed'] satisfies SessionEnd[]) ended.inc({ why }, 0)
  for (const why of ['host', 'session-limit', 'no-session', 'unknown-session'] satisfies McpRefusal[]) refusals.inc({ why }, 0)
  return {
    request: (method, outcome, seconds) => {
      requests.inc({ method, outcome })
      if (outcome !== 'cancelled') duration.observe({ method }, seconds)
    },
    sessionOpened: () => { open.inc() },
    sessionEnded: (why) => {
      open.dec()
      ended.inc({ why })
    },
    refused: (why) => { refusals.inc({ why }) }
  }
}

/** Metrics that go nowhere (an endpoint built without a registry). */
export const NO_MCP_METRICS: McpMetrics = {
  request: () => undefined,
  sessionOpened: () => undefined,
  sessionEnded: () => undefined,
  refused: () => undefined
}
