import { expect } from 'chai'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js'
import { agentClient, runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { rejection } from '../helpers/thrown.ts'

const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '16']

interface Turn { role: string, content: string }

const text = (result: unknown): string => ((result as CallToolResult).content[0] as { text: string }).text

describe('Plexi as an MCP server (a real node process, the official SDK\'s client)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  let url: URL
  const tokens: Record<string, string> = {}
  const clients: Client[] = []

  const connect = async (token: string): Promise<Client> => {
    const client = new Client({ name: 'an-editor', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
    clients.push(client)
    return client
  }

  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dir.path, [...INFERENCE, '--openai-listen', '127.0.0.1:0'])
    const openai = node.logs.find((l) => typeof l.openai === 'string')?.openai as string
    url = new URL('/mcp', openai)
    for (const user of ['carol', 'dave']) {
      const added = await runCli(['admin', 'users', 'add', user, '--json', '--admin-addr', node.admin, '--data-dir', dir.path])
      tokens[user] = JSON.parse(added.stdout).token
    }
  })
  after(async () => {
    for (const client of clients) await client.close().catch(() => undefined)
    await node?.stop()
    await dir?.remove()
  })

  it('should initialize as Plexi with tools, resources and logging, and list its four tools', async () => {
    const carol = await connect(tokens.carol!)
    expect(carol.getServerVersion()).to.include({ name: 'plexi' })
    expect(carol.getServerCapabilities()).to.include.keys('tools', 'resources', 'logging')
    expect(carol.getInstructions()).to.contain('plexi://rooms/')
    expect((await carol.listTools()).tools.map((t) => t.name)).to.deep.equal(['list_rooms', 'read_history', 'post_message', 'ask_agent'])
    expect(await carol.setLoggingLevel('warning')).to.deep.equal({})
  })

  it('should post, list and read rooms through the tools and the resources, the posts seen by gRPC clients as the token\'s user', async () => {
    const carol = await connect(tokens.carol!)
    const ack = await carol.callTool({ name: 'post_message', arguments: { room: 'mcp-lobby', text: 'from my editor', client_id: 'ed-1' } })
    expect(ack.structuredContent).to.include({ room: 'mcp-lobby', seq: 1 })
    expect(text(await carol.callTool({ name: 'list_rooms', arguments: {} }))).to.contain('mcp-lobby')
    const read = await carol.callTool({ name: 'read_history', arguments: { room: 'mcp-lobby' } })
    expect((read.structuredContent as { messages: Array<{ user: string, text: string }> }).messages).to.deep.equal([{ seq: 1, user: 'carol', text: 'from my editor', ts: (ack.structuredContent as { ts: number }).ts, kind: 'message', clientId: 'ed-1' }])
    const { resources } = await carol.listResources()
    expect(resources.map((r) => r.uri)).to.include('plexi://rooms/mcp-lobby')
    const resource = await carol.readResource({ uri: 'plexi://rooms/mcp-lobby' })
    expect(JSON.parse((resource.contents[0] as { text: string }).text).messages[0]).to.include({ user: 'carol', text: 'from my editor' })
    const { stdout } = await runCli(['chat', 'history', '--room', 'mcp-lobby', '--json', '--addr', node.grpc, '--token', tokens.dave!])
    expect(stdout).to.contain('from my editor')
  })

  it('should stream the answer of the caller\'s own agent as progress and give it whole as the result', async () => {
    const dave = await connect(tokens.dave!)
    const progress: Progress[] = []
    const answer = await dave.callTool({ name: 'ask_agent', arguments: { question: 'hello from MCP' } }, undefined, { onprogress: (p) => { progress.push(p) }, resetTimeoutOnProgress: true })
    expect(progress.length).to.be.greaterThan(0)
    expect(progress.map((p) => p.message).join('')).to.equal(text(answer))
    const agent = agentClient(node.grpc, tokens.dave!)
    try {
      const { turns } = await agent.call<{ turns: Turn[] }>('History', {})
      expect(turns.map((t) => [t.role, t.content])).to.deep.equal([['user', 'hello from MCP'], ['assistant', text(answer)]])
    } finally {
      agent.close()
    }
  })

  it('should refuse a bad token with 401, and answer bad arguments and an unknown room with an error the client reads', async () => {
    const refused = await rejection(() => connect('plxu_not-a-token'))
    expect(refused).to.be.instanceOf(StreamableHTTPError)
    expect((refused as StreamableHTTPError).code).to.equal(401)
    const carol = await connect(tokens.carol!)
    const bad = await carol.callTool({ name: 'post_message', arguments: { room: 'Not Valid', text: 'x' } })
    expect(bad.isError).to.equal(true)
    expect(text(bad)).to.contain('room')
    const unknown = await carol.callTool({ name: 'read_history', arguments: { room: 'never-made' } })
    expect(unknown.isError).to.equal(true)
    expect(text(unknown)).to.contain('no room named never-made')
    expect((await rejection(() => carol.readResource({ uri: 'plexi://rooms/never-made' }))).message).to.contain('-32002')
  })

  it('should report its requests and sessions on /metrics', async () => {
    const metrics = await fetch(`http://${node.admin}/metrics`)
    const body = await metrics.text()
    expect(body).to.match(/plexi_mcp_requests_total\{method="tools\/call:post_message",outcome="ok"\} 1/)
    expect(body).to.match(/plexi_mcp_sessions_open [1-9]/)
  })
})
