import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { startPartsUpTo } from './node-parts-fixture.ts'
import type { StartedParts } from './node-parts-fixture.ts'

/** A lone node's parts up to the OpenAI listener (which serves /mcp), for real: rooms, agents on
 * the generated tiny model (CPU, one thread), users; and the official SDK's client for it. */
export interface McpNode {
  readonly parts: StartedParts
  /** http://127.0.0.1:<port>/mcp */
  readonly url: string
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

export async function startMcpNode (flags: Record<string, unknown> = {}): Promise<McpNode> {
  const parts = await startPartsUpTo('openai', { flags: { ...MCP_NODE_FLAGS, ...flags } })
  const openai = parts.c.get('openai')
  if (openai === undefined) {
    await parts.stop()
    throw new Error('the node serves no OpenAI listener')
  }
  const url = `http://127.0.0.1:${openai.address.port}/mcp`
  const clients: Client[] = []
  return {
    parts,
    url,
    addUser: async (name) => (await parts.c.get('users').add(name)).token,
    async connect (token, name = 'plexi-spec') {
      const client = new Client({ name, version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
      clients.push(client)
      return client
    },
    async stop () {
      await Promise.all(clients.map(async (c) => { await c.close().catch(() => undefined) }))
      await parts.stop()
    }
  }
}
