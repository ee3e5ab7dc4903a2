import { expect } from 'chai'
import { Registry } from 'prom-client'
import { NO_MCP_METRICS, mcpMetrics } from '../../../node/mcp-server/index.ts'
import { methodLabel } from '../../../node/mcp-server/mcp-metrics.ts'

describe('mcpMetrics', () => {
  it('should count requests by method and outcome and time the answered ones', async () => {
    const registry = new Registry()
    const metrics = mcpMetrics(registry)
    metrics.request('tools/call:ask_agent', 'ok', 1.5)
    metrics.request('tools/call:ask_agent', 'cancelled', 0.2)
    metrics.request('ping', 'error', 0.001)
    const text = await registry.metrics()
    expect(text).to.contain('plexi_mcp_requests_total{method="tools/call:ask_agent",outcome="ok"} 1')
    expect(text).to.contain('plexi_mcp_requests_total{method="tools/call:ask_agent",outcome="cancelled"} 1')
    expect(text).to.contain('plexi_mcp_requests_total{method="ping",outcome="error"} 1')
    // a cancelled request has no answer to time
    expect(text).to.contain('plexi_mcp_request_duration_seconds_count{method="tools/call:ask_agent"} 1')
    expect(text).to.contain('plexi_mcp_request_duration_seconds_count{method="ping"} 1')
  })

  it('should follow the sessions open, count each end by why and each refusal, every series there from the start', async () => {
    const registry = new Registry()
    const metrics = mcpMetrics(registry)
    let text = await registry.metrics()
    for (const why of ['deleted', 'expired', 'evicted', 'closed']) expect(text).to.contain(`plexi_mcp_sessions_ended_total{why="${why}"} 0`)
    for (const why of ['host', 'session-limit', 'no-session', 'unknown-session']) expect(text).to.contain(`plexi_mcp_refusals_total{why="${why}"} 0`)
    metrics.sessionOpened()
    metrics.sessionOpened()
    metrics.sessionEnded('expired')
    metrics.refused('host')
    text = await registry.metrics()
    expect(text).to.contain('plexi_mcp_sessions_open 1')
    expect(text).to.contain('plexi_mcp_sessions_ended_total{why="expired"} 1')
    expect(text).to.contain('plexi_mcp_refusals_total{why="host"} 1')
  })

  it('should label only the methods it knows, so that a client cannot grow the series', () => {
    expect(methodLabel('tools/list')).to.equal('tools/list')
    expect(methodLabel('resources/read')).to.equal('resources/read')
    expect(methodLabel('x'.repeat(1000))).to.equal('other')
    expect(methodLabel('constructor')).to.equal('other')
  })

  it('should take every report and keep nothing when there is no registry', () => {
    NO_MCP_METRICS.request('ping', 'ok', 0)
    NO_MCP_METRICS.sessionOpened()
    NO_MCP_METRICS.sessionEnded('closed')
    NO_MCP_METRICS.refused('host')
  })
})
