import type { FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ClientLimits, RateLimiter } from '../../node/limits/index.ts'
import type { ClientLimitsOptions } from '../../node/limits/index.ts'
import { mcpBackend, mcpMetrics, mcpRoutes } from '../../node/mcp-server/index.ts'
import type { McpRoutesDeps } from '../../node/mcp-server/index.ts'
import { buildOpenAiServer, openAiBackend } from '../../node/openai/index.ts'
import { startPartsUpTo } from './node-parts-fixture.ts'
import type { StartedParts } from './node-parts-fixture.ts'

/** A node serving /mcp on loopback, for real: rooms, agents on the generated tiny model (CPU,
 * one thread), users; and the official SDK's client for it. */
export interface McpNode {
  readonly parts: StartedParts
  /** http://127.0.0.1:<port>/mcp */
  readonly url: string
  /** The metrics /mcp reports on (the node's registry, or the app's own). */
  readonly registry: Registry
  /** Adds a user; their token. */
  addUser (name: string): Promise<string>
  /** An SDK client connected (initialized) as the user whose token this is. */
  connect (token: string, name?: string): Promise<Client>
  stop (): Promise<void>
}

/** The flags of an MCP node: loopback, any free port, the tiny model answering in few tokens. */
export const MCP_NODE_FLAGS: Readonly<Record<string, unknown>> = {
  'openai-listen': '127.0.0.1:0',
  role: 'chat,storage,ai',
  gpu: 'off',
  'inference-threads': 1,
  'agent-max-tokens': 12
}

/** A lone node's parts up to the OpenAI listener, as the composition root starts them (`/mcp`
 * with the node's own limits and metrics). */
export async function startMcpNode (flags: Record<string, unknown> = {}): Promise<McpNode> {
  const parts = await startPartsUpTo('openai', { flags: { ...MCP_NODE_FLAGS, ...flags } })
  const openai = parts.c.get('openai')
  if (openai === undefined) {
    await parts.stop()
    throw new Error('the node serves no OpenAI listener')
  }
  return mcpNode(parts, `http://127.0.0.1:${openai.address.port}/mcp`, parts.c.get('metrics').registry, async () => undefined)
}

/** Options of an MCP app: the routes' own (session limits…), and the limits per client address. */
export interface McpAppOptions {
  readonly routes?: Partial<Pick<McpRoutesDeps, 'listenHost' | 'sessions'>>
  readonly clients?: Partial<ClientLimitsOptions>
  /** config `chat-rate` and `chat-burst` for the posts. @default 1000 */
  readonly chatRate?: number
}

/**
 * A lone node's parts up to its entities, and an OpenAI listener of the spec's own on loopback
 * serving /mcp with the options given (tighter session limits, a faster sweep, real limits per
 * client address, a registry of its own): for the specs of the endpoint's limits.
 */
export async function startMcpApp (opts: McpAppOptions = {}): Promise<McpNode & { readonly app: FastifyInstance, readonly clients: ClientLimits }> {
  const parts = await startPartsUpTo('entities', { flags: MCP_NODE_FLAGS })
  const { c } = parts
  const registry = new Registry()
  const clients = new ClientLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts.clients })
  const rate = opts.chatRate ?? 1000
  let app: FastifyInstance | undefined
  try {
    app = await buildOpenAiServer({
      backend: openAiBackend({ users: c.get('users'), registry: c.get('models'), inference: c.get('inference'), asker: c.get('asker'), startedAt: 0 }),
      logger: false,
      defaults: { maxTokens: 12, maxTokensLimit: 512 },
      clients,
      routes: [mcpRoutes({
        backend: mcpBackend({ system: c.get('system'), asker: c.get('asker'), limiter: new RateLimiter({ rate, burst: rate }), maxMessageBytes: 256 }),
        listenHost: '127.0.0.1',
        clients,
        metrics: mcpMetrics(registry),
        failures: c.get('serviceFailures'),
        log: c.get('log'),
        ...opts.routes
      })]
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
  } catch (err) {
    await app?.close()
    await parts.stop()
    throw err
  }
  const { port } = app.server.address() as { port: number }
  const served = app
  const node = mcpNode(parts, `http://127.0.0.1:${port}/mcp`, registry, async () => { await served.close() })
  return { ...node, app: served, clients }
}

function mcpNode (parts: StartedParts, url: string, registry: Registry, closeApp: () => Promise<void>): McpNode {
  const clients: Client[] = []
  return {
    parts,
    url,
    registry,
    addUser: async (name) => (await parts.c.get('users').add(name)).token,
    async connect (token, name = 'plexi-spec') {
      const client = new Client({ name, version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
      clients.push(client)
      return client
    },
    async stop () {
      await Promise.all(clients.map(async (c) => { await c.close().catch(() => undefined) }))
      await closeApp()
      await parts.stop()
    }
  }
}
