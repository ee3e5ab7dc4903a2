import { expect } from 'chai'
import fc from 'fast-check'
import { request } from 'node:http'
import { startMcpApp } from '../../helpers/mcp-node.ts'

interface Answer { readonly status: number, readonly headers: Record<string, string | string[] | undefined>, readonly body: string }

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
const ACCEPT = 'application/json, text/event-stream'

/** One HTTP request with any headers (Host too, which fetch will not send as given). */
async function raw (url: string, opts: { method?: string, headers?: Record<string, string>, body?: string | undefined }): Promise<Answer> {
  const u = new URL(url)
  return await new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      if (opts.method === 'GET' && res.headers['content-type'] === 'text/event-stream') {
        // the server's stream stays open: its status is the answer
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' })
        req.destroy()
        return
      }
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.setTimeout(10_000, () => { req.destroy(new Error('no answer in 10 s')) })
    req.on('error', reject)
    req.end(opts.body)
  })
}

const rpcError = (answer: Answer): { code: number, message: string } => (JSON.parse(answer.body) as { error: { code: number, message: string } }).error

describe('mcpRoutes (/mcp on a real node\'s OpenAI listener)', function () {
  this.timeout(60_000)
  let node: Awaited<ReturnType<typeof startMcpApp>>
  let ann = ''
  let bob = ''
  const headers = (token: string, more: Record<string, string> = {}): Record<string, string> =>
    ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: ACCEPT, ...more })
  /** A session of `token`'s user, opened by a raw initialize: its id. */
  const open = async (token: string): Promise<string> => {
    const answer = await raw(node.url, { headers: headers(token), body: JSON.stringify(INIT) })
    expect(answer.status, answer.body).to.equal(200)
    return answer.headers['mcp-session-id'] as string
  }

  before(async () => {
    node = await startMcpApp({ clients: { userRate: 1000, userBurst: 1000, streams: 4 } })
    ann = await node.addUser('ann')
    bob = await node.addUser('bob')
  })
  after(async () => { await node?.stop() })

  it('should refuse a request without a user\'s token, or with a wrong one, with 401 and WWW-Authenticate: Bearer', async () => {
    for (const authorization of [undefined, 'Bearer nope', 'Basic YW5uOng=']) {
      const answer = await raw(node.url, { headers: { 'content-type': 'application/json', accept: ACCEPT, ...(authorization !== undefined && { authorization }) }, body: JSON.stringify(INIT) })
      expect(answer.status, authorization).to.equal(401)
      expect(answer.headers['www-authenticate']).to.equal('Bearer')
    }
  })

  it('should open a session for an initialize without a session id, and refuse anything else without one', async () => {
    const id = await open(ann)
    expect(id).to.match(/^[0-9a-f-]{36}$/)
    const list = await raw(node.url, { headers: headers(ann), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) })
    expect(list.status).to.equal(400)
    expect(rpcError(list).message).to.contain('initialize')
    const get = await raw(node.url, { method: 'GET', headers: headers(ann) })
    expect(get.status).to.equal(400)
  })

  it('should reach a session only with its id and a token of its user: another user\'s, an unknown or an overlong id is not found (404)', async () => {
    const id = await open(ann)
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
    const mine = await raw(node.url, { headers: headers(ann, { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }), body: list })
    expect(mine.status).to.equal(200)
    expect(mine.body).to.contain('list_rooms')
    for (const [token, session] of [[bob, id], [ann, '00000000-0000-0000-0000-000000000000'], [ann, 'x'.repeat(5000)]] as const) {
      const answer = await raw(node.url, { headers: headers(token, { 'mcp-session-id': session }), body: list })
      expect(answer.status).to.equal(404)
      expect(rpcError(answer).code).to.equal(-32001)
    }
    expect(await node.registry.metrics()).to.match(/plexi_mcp_refusals_total\{why="unknown-session"\} 3/)
  })

  it('should end a session on its DELETE, after which it is not found', async () => {
    const id = await open(bob)
    const deleted = await raw(node.url, { method: 'DELETE', headers: { authorization: `Bearer ${bob}`, 'mcp-session-id': id } })
    expect(deleted.status).to.equal(200)
    const after = await raw(node.url, { headers: headers(bob, { 'mcp-session-id': id }), body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }) })
    expect(after.status).to.equal(404)
    expect(await node.registry.metrics()).to.contain('plexi_mcp_sessions_ended_total{why="deleted"} 1')
  })

  it('should refuse a request from a rebound name (Host or Origin not loopback) with 403, before any session is made', async () => {
    const before = await node.registry.metrics()
    const rebound: Array<Record<string, string>> = [{ host: 'evil.example.com' }, { origin: 'http://evil.example.com' }, { host: 'evil.example.com:80', origin: 'http://evil.example.com' }]
    for (const more of rebound) {
      const answer = await raw(node.url, { headers: headers(ann, more), body: JSON.stringify(INIT) })
      expect(answer.status, JSON.stringify(more)).to.equal(403)
      expect(answer.headers['mcp-session-id']).to.equal(undefined)
      expect(rpcError(answer).message).to.contain('evil.example.com')
    }
    expect(before).to.contain('plexi_mcp_refusals_total{why="host"} 0')
    expect(await node.registry.metrics()).to.contain('plexi_mcp_refusals_total{why="host"} 3')
    const local = await raw(node.url, { headers: headers(ann, { host: `localhost:${new URL(node.url).port}`, origin: 'http://127.0.0.1:6274' }), body: JSON.stringify(INIT) })
    expect(local.status).to.equal(200)
  })

  it('should answer a body that is not JSON, too deep, of another type or a batch too long with a JSON-RPC error, never a session', async () => {
    const notJson = await raw(node.url, { headers: headers(ann), body: '{"jsonrpc": "2.0", "id": 1, "method": "initialize"' })
    expect(notJson.status).to.equal(400)
    expect(rpcError(notJson).code).to.equal(-32700)
    const deep = await raw(node.url, { headers: headers(ann), body: `${'['.repeat(5000)}${']'.repeat(5000)}` })
    expect(deep.status).to.equal(400)
    const xml = await raw(node.url, { headers: headers(ann, { 'content-type': 'application/xml' }), body: '<initialize/>' })
    expect(xml.status).to.equal(415)
    expect(rpcError(xml).code).to.equal(-32000)
    const text = await raw(node.url, { headers: headers(ann, { 'content-type': 'text/plain' }), body: JSON.stringify(INIT) })
    expect(text.status).to.equal(400)
    const batch = await raw(node.url, { headers: headers(ann), body: JSON.stringify(Array.from({ length: 33 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' }))) })
    expect(batch.status).to.equal(400)
    expect(rpcError(batch).message).to.contain('at most 32')
    const proto = await raw(node.url, { headers: headers(ann), body: '{"jsonrpc":"2.0","id":1,"method":"initialize","__proto__":{"x":1}}' })
    expect(proto.status).to.equal(400)
  })

  it('should hold a stream slot of the client\'s address while the server\'s stream (GET) is open, and give it back when it closes', async () => {
    const id = await open(ann)
    const u = new URL(node.url)
    const opened = node.clients.stats.streamsOpen
    const stream = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', headers: { authorization: `Bearer ${ann}`, accept: 'text/event-stream', 'mcp-session-id': id } })
    const status = await new Promise<number>((resolve, reject) => {
      stream.on('response', (res) => { resolve(res.statusCode ?? 0) })
      stream.on('error', reject)
      stream.end()
    })
    expect(status).to.equal(200)
    expect(node.clients.stats.streamsOpen).to.equal(opened + 1)
    stream.destroy()
    const deadline = performance.now() + 5_000
    while (node.clients.stats.streamsOpen !== opened && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(node.clients.stats.streamsOpen).to.equal(opened)
  })

  it('should never fail for whatever body and session header a client sends (a 4xx or an answer, the endpoint still serving)', async () => {
    const id = await open(ann)
    const message = fc.oneof(
      fc.jsonValue(),
      fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0', 2), id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), method: fc.constantFrom('initialize', 'tools/call', 'resources/read', 'ping', 'notifications/cancelled', 'x'), params: fc.jsonValue() }, { requiredKeys: [] })
    )
    await fc.assert(fc.asyncProperty(fc.oneof(message, fc.array(message, { maxLength: 4 })), fc.constantFrom(undefined, id, 'nope'), fc.constantFrom('POST', 'GET', 'DELETE'), async (body, session, method) => {
      const answer = await raw(node.url, { method, headers: headers(ann, session === undefined ? {} : { 'mcp-session-id': session }), body: method === 'POST' ? JSON.stringify(body) : undefined })
      expect(answer.status, `${method} ${JSON.stringify(body)}`).to.be.below(500)
    }), { numRuns: 60 })
    const ping = await raw(node.url, { headers: headers(ann, { 'mcp-session-id': await open(ann) }), body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }) })
    expect(ping.status).to.equal(200)
  })
})
