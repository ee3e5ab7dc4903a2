import { expect } from 'chai'
import { McpSessionLimitError, NO_MCP_METRICS, mcpBackend } from '../../../node/mcp-server/index.ts'
import { McpSessions } from '../../../node/mcp-server/mcp-sessions.ts'
import { RateLimiter } from '../../../node/limits/index.ts'
import { startMcpApp } from '../../helpers/mcp-node.ts'
import type { McpNode } from '../../helpers/mcp-node.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })

/** The status a raw POST of `body` gets. */
async function post (url: string, token: string, body: string, session?: string): Promise<number> {
  const answer = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session !== undefined && { 'mcp-session-id': session }) },
    body
  })
  await answer.body?.cancel()
  return answer.status
}

/** A session opened by a raw initialize (no stream held open: idle once answered): its id. */
async function openIdle (url: string, token: string): Promise<string> {
  const answer = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: INIT })
  await answer.body?.cancel()
  expect(answer.status).to.equal(200)
  return answer.headers.get('mcp-session-id') ?? ''
}

const PING = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' })

describe('McpSessions (their limits, through /mcp on a real node)', function () {
  this.timeout(60_000)
  let node: McpNode | undefined
  afterEach(async () => {
    await node?.stop()
    node = undefined
  })

  it('should close a user\'s least recently used idle session for a new one past their limit, the others going on', async () => {
    node = await startMcpApp({ routes: { sessions: { maxPerUser: 2 } } })
    const token = await node.addUser('ann')
    const first = await openIdle(node.url, token)
    const second = await openIdle(node.url, token)
    expect(await post(node.url, token, PING, first)).to.equal(200)
    // second is now the least recently used
    const third = await openIdle(node.url, token)
    expect(await post(node.url, token, PING, second)).to.equal(404)
    expect(await post(node.url, token, PING, first)).to.equal(200)
    expect(await post(node.url, token, PING, third)).to.equal(200)
    expect(await node.registry.metrics()).to.contain('plexi_mcp_sessions_ended_total{why="evicted"} 1')
    expect(await node.registry.metrics()).to.contain('plexi_mcp_sessions_open 2')
  })

  it('should refuse a new session with 429 when all of the user\'s are busy (a connected client holds its stream open), or the node holds all it may', async () => {
    node = await startMcpApp({ routes: { sessions: { maxPerUser: 1, maxSessions: 2 } } })
    const ann = await node.addUser('ann')
    const connected = await node.connect(ann)
    expect(await post(node.url, ann, INIT)).to.equal(429)
    await openIdle(node.url, await node.addUser('bob'))
    expect(await post(node.url, await node.addUser('cy'), INIT)).to.equal(429)
    expect(await node.registry.metrics()).to.contain('plexi_mcp_refusals_total{why="session-limit"} 2')
    // once its client left, ann's session is idle: a new one takes its place
    await connected.close()
    await waitFor(async () => await post(node!.url, ann, INIT) === 200, 'ann\'s idle session to make room')
  })

  it('should close sessions idle past idleMs, never a busy one', async () => {
    node = await startMcpApp({ routes: { sessions: { idleMs: 100, sweepMs: 20 } } })
    const token = await node.addUser('ann')
    const idle = await openIdle(node.url, token)
    const connected = await node.connect(token)
    await waitFor(async () => (await node!.registry.metrics()).includes('plexi_mcp_sessions_ended_total{why="expired"} 1'), 'the idle session to expire')
    expect(await post(node.url, token, PING, idle)).to.equal(404)
    expect(await connected.ping()).to.deep.equal({})
    expect(await node.registry.metrics()).to.contain('plexi_mcp_sessions_ended_total{why="expired"} 1')
  })

  it('should count each message of a batch against the user\'s request rate', async () => {
    node = await startMcpApp({ clients: { userRate: 0.01, userBurst: 4 } })
    const token = await node.addUser('ann')
    const init = await fetch(node.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: INIT })
    const session = init.headers.get('mcp-session-id') ?? ''
    await init.body?.cancel()
    // the listener takes one request, the batch's three further messages take more than are left
    const batch = JSON.stringify([1, 2, 3, 4].map((id) => ({ jsonrpc: '2.0', id: id + 1, method: 'ping' })))
    expect(await post(node.url, token, batch, session)).to.equal(429)
  })

  it('should find no session for an overlong id, and open none once closed', async () => {
    node = await startMcpApp()
    const { c } = node.parts
    const sessions = new McpSessions({
      backend: mcpBackend({ system: c.get('system'), asker: c.get('asker'), limiter: new RateLimiter({ rate: 1, burst: 1 }), maxMessageBytes: 64 }),
      metrics: NO_MCP_METRICS,
      log: c.get('log'),
      failures: c.get('serviceFailures')
    })
    sessions.start()
    expect(sessions.get('x'.repeat(100), 'ann')).to.equal(undefined)
    expect(await sessions.sweep()).to.equal(0)
    await sessions.close()
    expect(await rejection(() => sessions.open('ann'))).to.be.instanceOf(McpSessionLimitError)
    expect(sessions.size).to.equal(0)
  })
})
