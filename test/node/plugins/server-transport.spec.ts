import { expect } from 'chai'
import { createServer } from 'node:http'
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { PluginStartError } from '../../../node/plugins/index.ts'
import { testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { rejection } from '../../helpers/thrown.ts'

const TOKEN = 'test-bearer-token-0123456789'
const CLIENT_SECRET = 'client-secret-0123456789'

/** An MCP server over streamable HTTP (stateless, the SDK's own) with one tool, `whoami`, behind
 * `authorized(req)`; and, when `oauth`, an authorization server that grants without a sign-in. */
async function mcpServer (opts: { oauth?: boolean, authorized: (req: IncomingMessage) => boolean }): Promise<{ url: string, issued: string[], close: () => Promise<void> }> {
  const issued: string[] = []
  let base = ''
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base)
    const json = (status: number, body: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)) }
    if (opts.oauth === true && url.pathname === '/.well-known/oauth-protected-resource/mcp') return json(200, { resource: `${base}/mcp`, authorization_servers: [base] })
    if (opts.oauth === true && url.pathname === '/.well-known/oauth-authorization-server') {
      return json(200, { issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, registration_endpoint: `${base}/register`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] })
    }
    if (opts.oauth === true && url.pathname === '/register') return json(201, { client_id: 'registered', redirect_uris: ['http://127.0.0.1/plexi/oauth/callback'] })
    if (opts.oauth === true && url.pathname === '/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri') as string)
      back.searchParams.set('code', 'the-code')
      back.searchParams.set('state', url.searchParams.get('state') ?? '')
      res.writeHead(302, { location: back.href }).end()
      return
    }
    if (opts.oauth === true && url.pathname === '/token') {
      const token = `issued-token-${issued.length}-abcdefgh`
      issued.push(token)
      return json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600 })
    }
    if (url.pathname !== '/mcp') return json(404, {})
    if (!opts.authorized(req)) {
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` }).end()
      return
    }
    if (req.method !== 'POST') return json(405, {})
    const server = new Server({ name: 'remote', version: '1.0.0' }, { capabilities: { tools: {} } })
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'whoami', description: 'who asks', inputSchema: { type: 'object' } }] }))
    server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: `you are ${req.headers.authorization?.slice(0, 12) ?? 'nobody'}` }] }))
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    res.on('close', () => { void transport.close(); void server.close() })
    await server.connect(transport)
    await transport.handleRequest(req, res)
  }
  const http: HttpServer = createServer((req, res) => { handle(req, res).catch(() => res.writeHead(500).end()) })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return { url: `${base}/mcp`, issued, close: async () => { http.closeAllConnections(); await new Promise((resolve) => http.close(resolve)) } }
}

describe('server transport', () => {
  let t: TestHost
  beforeEach(async () => { t = await testHost() })
  afterEach(async () => { await t.close() })

  it('should connect to a registered HTTP server with a bearer token and call its tools', async () => {
    const remote = await mcpServer({ authorized: (req) => req.headers.authorization === `Bearer ${TOKEN}` })
    try {
      const running = await t.host.addServer({ name: 'remote', description: '', transport: { kind: 'http', url: remote.url, auth: { kind: 'token', token: TOKEN } } })
      expect(running).to.include({ kind: 'server', state: 'up', offline: false })
      expect(running.tools).to.deep.equal(['remote__whoami'])
      expect(await t.host.call({ id: '1', name: 'remote__whoami', arguments: {} })).to.deep.equal({ callId: '1', isError: false, text: 'you are Bearer test-' })
    } finally {
      await remote.close()
    }
  })

  it('should refuse a server that wants a token it was not given, keeping every secret out of the error and the log', async () => {
    const remote = await mcpServer({ authorized: () => false })
    try {
      const err = await rejection(() => t.host.addServer({ name: 'remote', description: '', transport: { kind: 'http', url: remote.url, auth: { kind: 'token', token: TOKEN } } }))
      expect(err).to.be.instanceOf(PluginStartError)
      expect(err.message).to.not.include(TOKEN)
      expect(t.lines.some((l) => JSON.stringify(l).includes(TOKEN))).to.equal(false)
      expect(t.host.servers()).to.deep.equal([])
    } finally {
      await remote.close()
    }
  })

  it('should follow OAuth\'s authorization code flow headless, registering itself, and use the token it got', async () => {
    let remote: Awaited<ReturnType<typeof mcpServer>> | undefined
    remote = await mcpServer({ oauth: true, authorized: (req) => remote !== undefined && remote.issued.some((tk) => req.headers.authorization === `Bearer ${tk}`) })
    try {
      await t.host.addServer({ name: 'remote', description: '', transport: { kind: 'http', url: remote.url, auth: { kind: 'oauth', scope: 'tools' } } })
      expect(remote.issued).to.have.length(1)
      expect((await t.host.call({ id: '1', name: 'remote__whoami', arguments: {} })).text).to.equal('you are Bearer issue')
      expect(t.lines.some((l) => JSON.stringify(l).includes(remote?.issued[0] as string))).to.equal(false)
    } finally {
      await remote.close()
    }
  })

  it('should get a token with OAuth client credentials, its secret in no log', async () => {
    let remote: Awaited<ReturnType<typeof mcpServer>> | undefined
    remote = await mcpServer({ oauth: true, authorized: (req) => remote !== undefined && remote.issued.some((tk) => req.headers.authorization === `Bearer ${tk}`) })
    try {
      await t.host.addServer({ name: 'remote', description: '', transport: { kind: 'http', url: remote.url, auth: { kind: 'client-credentials', clientId: 'plexi', clientSecret: CLIENT_SECRET, issuer: new URL(remote.url).origin } } })
      expect(remote.issued).to.have.length(1)
      expect((await t.host.call({ id: '1', name: 'remote__whoami', arguments: {} })).isError).to.equal(false)
      expect(t.lines.some((l) => JSON.stringify(l).includes(CLIENT_SECRET))).to.equal(false)
    } finally {
      await remote.close()
    }
  })
})
