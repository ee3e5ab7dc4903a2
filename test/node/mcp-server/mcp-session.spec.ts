import { expect } from 'chai'
import { request } from 'node:http'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { AGENT } from '../../../actors/index.ts'
import type { AgentTurn } from '../../../actors/index.ts'
import { startMcpApp } from '../../helpers/mcp-node.ts'
import type { McpNode } from '../../helpers/mcp-node.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const ACCEPT = 'application/json, text/event-stream'

describe('McpSession (one client\'s session on a real node)', function () {
  this.timeout(60_000)
  let node: McpNode
  let token = ''

  before(async () => {
    node = await startMcpApp()
    token = await node.addUser('ann')
    // answers long enough to be cut
    await node.parts.c.get('system').entity(AGENT, 'ann').ask((replyTo) => ({ type: 'configure', user: 'ann', change: { sampling: { maxTokens: 1500 } }, replyTo }))
  })
  after(async () => { await node?.stop() })

  const turns = async (): Promise<AgentTurn[]> =>
    await node.parts.c.get('system').entity(AGENT, 'ann').ask<AgentTurn[]>((replyTo) => ({ type: 'history', user: 'ann', limit: 100, replyTo }))
  const cancelledAsks = async (): Promise<number> =>
    Number(/plexi_mcp_requests_total\{method="tools\/call:ask_agent",outcome="cancelled"\} (\d+)/.exec(await node.registry.metrics())?.[1] ?? 0)

  it('should cancel an agent\'s answer whose client\'s connection dropped, since its answer could reach no one', async () => {
    const init = await fetch(node.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: ACCEPT },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
    })
    const session = init.headers.get('mcp-session-id') ?? ''
    await init.body?.cancel()
    const before = await cancelledAsks()
    const u = new URL(node.url)
    const call = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } })
    await new Promise<void>((resolve, reject) => {
      call.on('response', (res) => {
        // the first piece of the answer: then the client is gone
        res.once('data', () => {
          call.destroy()
          resolve()
        })
      })
      call.on('error', () => undefined)
      setTimeout(() => { reject(new Error('no progress in 20 s')) }, 20_000).unref()
      call.end(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask_agent', arguments: { question: 'a long answer please' }, _meta: { progressToken: 'p' } } }))
    })
    await waitFor(async () => (await turns()).at(-2)?.content === 'a long answer please', 'the cut answer in the agent\'s history', { timeout: 30_000 })
    expect((await turns()).at(-1)?.stopReason).to.equal('cancelled')
    expect(await cancelledAsks()).to.equal(before + 1)
  })

  it('should cancel what is in flight when its client ends the session', async () => {
    const client = await node.connect(token)
    const before = await cancelledAsks()
    // the client hears nothing more of the call once its session is gone: it ends when the client closes
    const call = rejection(() => client.callTool({ name: 'ask_agent', arguments: { question: 'ended mid-answer' } }, undefined, {
      onprogress: () => { void (client.transport as StreamableHTTPClientTransport).terminateSession() }
    }))
    await waitFor(async () => (await turns()).at(-2)?.content === 'ended mid-answer', 'the cut answer in the agent\'s history', { timeout: 30_000 })
    expect((await turns()).at(-1)?.stopReason).to.equal('cancelled')
    await waitFor(async () => await cancelledAsks() === before + 1, 'the ask counted cancelled')
    expect(await node.registry.metrics()).to.contain('plexi_mcp_sessions_ended_total{why="deleted"} 1')
    await client.close()
    expect(await call).to.be.instanceOf(Error)
  })

  it('should close every session with the endpoint, cancelling what is in flight', async () => {
    const other = await startMcpApp()
    try {
      const bee = await other.addUser('bee')
      await other.parts.c.get('system').entity(AGENT, 'bee').ask((replyTo) => ({ type: 'configure', user: 'bee', change: { sampling: { maxTokens: 1500 } }, replyTo }))
      const client = await other.connect(bee)
      let closing: Promise<void> | undefined
      const call = rejection(() => client.callTool({ name: 'ask_agent', arguments: { question: 'cut by the close' } }, undefined, {
        onprogress: () => { closing ??= other.app.close() }
      }))
      await waitFor(() => closing !== undefined, 'the first piece of the answer', { timeout: 20_000 })
      await closing
      const metrics = await other.registry.metrics()
      expect(metrics).to.contain('plexi_mcp_sessions_ended_total{why="closed"} 1')
      expect(metrics).to.contain('plexi_mcp_requests_total{method="tools/call:ask_agent",outcome="cancelled"} 1')
      expect(metrics).to.contain('plexi_mcp_sessions_open 0')
      const turns = async (): Promise<AgentTurn[]> => await other.parts.c.get('system').entity(AGENT, 'bee').ask<AgentTurn[]>((replyTo) => ({ type: 'history', user: 'bee', limit: 10, replyTo }))
      await waitFor(async () => (await turns()).at(-2)?.content === 'cut by the close', 'the cut answer in the agent\'s history', { timeout: 30_000 })
      expect((await turns()).at(-1)?.stopReason).to.equal('cancelled')
      // the client hears nothing more of the call: it ends when the client closes
      await client.close()
      expect(await call).to.be.instanceOf(Error)
    } finally {
      await other.parts.stop()
    }
  })
})
