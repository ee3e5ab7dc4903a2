import { expect } from 'chai'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js'
import { AGENT } from '../../../actors/index.ts'
import type { AgentTurn } from '../../../actors/index.ts'
import { MCP_TOOLS } from '../../../node/mcp-server/index.ts'
import { toolError } from '../../../node/mcp-server/mcp-tools.ts'
import { InvalidRequestError, NotServingError } from '../../../protocols/index.ts'
import { startMcpApp } from '../../helpers/mcp-node.ts'
import type { McpNode } from '../../helpers/mcp-node.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const text = (result: unknown): string => ((result as CallToolResult).content[0] as { text: string }).text

describe('the MCP tools (the SDK\'s client, a real node)', function () {
  this.timeout(60_000)
  let node: McpNode
  let ann: Client
  let bob: Client

  before(async () => {
    node = await startMcpApp()
    ann = await node.connect(await node.addUser('ann'))
    bob = await node.connect(await node.addUser('bob'))
  })
  after(async () => { await node?.stop() })

  const history = async (user: string): Promise<AgentTurn[]> =>
    await node.parts.c.get('system').entity(AGENT, user).ask<AgentTurn[]>((replyTo) => ({ type: 'history', user, limit: 100, replyTo }))

  it('should list its four tools, each described, with strict argument schemas, the readers marked read-only', async () => {
    const { tools } = await ann.listTools()
    expect(tools.map((t) => t.name)).to.deep.equal([...MCP_TOOLS])
    for (const tool of tools) {
      expect(tool.description, tool.name).to.be.a('string').with.length.greaterThan(20)
      expect(tool.inputSchema).to.include({ type: 'object', additionalProperties: false })
    }
    const readOnly = tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name)
    expect(readOnly).to.deep.equal(['list_rooms', 'read_history'])
    expect(tools.find((t) => t.name === 'read_history')?.inputSchema.required).to.deep.equal(['room'])
  })

  it('should post as the token\'s user and read the room back, a retried post with its client_id stored once', async () => {
    const first = await ann.callTool({ name: 'post_message', arguments: { room: 'tools-room', text: 'hello from an editor', client_id: 'edit-1' } })
    const retried = await ann.callTool({ name: 'post_message', arguments: { room: 'tools-room', text: 'hello from an editor', client_id: 'edit-1' } })
    expect(retried.structuredContent).to.deep.equal(first.structuredContent)
    await bob.callTool({ name: 'post_message', arguments: { room: 'tools-room', text: 'hi ann' } })
    const read = await bob.callTool({ name: 'read_history', arguments: { room: 'tools-room' } })
    const { messages, lastSeq } = read.structuredContent as { messages: Array<{ seq: number, user: string, text: string }>, lastSeq: number }
    expect(messages.map((m) => [m.seq, m.user, m.text])).to.deep.equal([[1, 'ann', 'hello from an editor'], [2, 'bob', 'hi ann']])
    expect(lastSeq).to.equal(2)
    // the same as text, for clients that read only text
    expect(JSON.parse(text(read))).to.deep.equal(read.structuredContent)
    const after = await ann.callTool({ name: 'read_history', arguments: { room: 'tools-room', after: 1, limit: 5 } })
    expect((after.structuredContent as { messages: unknown[] }).messages).to.have.length(1)
    const rooms = await ann.callTool({ name: 'list_rooms', arguments: {} })
    const listed = (rooms.structuredContent as { rooms: Array<{ name: string, createdBy: string }>, truncated: boolean })
    expect(listed.rooms.find((r) => r.name === 'tools-room')?.createdBy).to.equal('ann')
    expect(listed.truncated).to.equal(false)
  })

  it('should answer malformed arguments, an unknown room and an unknown tool with an error result naming the fault, the session going on', async () => {
    const faults: Array<[string, Record<string, unknown>, string]> = [
      ['read_history', { room: 'Not A Room' }, 'room'],
      ['read_history', {}, 'room'],
      ['read_history', { room: 'tools-room', limit: 0 }, 'limit'],
      ['read_history', { room: 'tools-room', extra: true }, 'extra'],
      ['post_message', { room: 'tools-room', text: '' }, 'text'],
      ['post_message', { room: 'tools-room', text: 'x', client_id: 'has space' }, 'client_id'],
      // 200 two-byte characters: within the schema's 256 characters, over the node's 256 bytes
      ['post_message', { room: 'tools-room', text: 'é'.repeat(200) }, 'bytes'],
      ['ask_agent', { question: 42 }, 'question'],
      ['read_history', { room: 'no-such-room' }, 'no room named no-such-room'],
      ['no_such_tool', {}, 'no_such_tool']
    ]
    for (const [name, args, fault] of faults) {
      const result = await ann.callTool({ name, arguments: args })
      expect(result.isError, `${name} ${JSON.stringify(args)}`).to.equal(true)
      expect(text(result), `${name} ${JSON.stringify(args)}`).to.contain(fault)
    }
    expect(await ann.ping()).to.deep.equal({})
  })

  it('should stream the agent\'s answer as progress, the pieces making the result\'s text, and keep the turn in the user\'s own agent only', async () => {
    const progress: Progress[] = []
    const result = await ann.callTool({ name: 'ask_agent', arguments: { question: 'what is plexi?' } }, undefined, { onprogress: (p) => { progress.push(p) }, resetTimeoutOnProgress: true })
    expect(result.isError).to.not.equal(true)
    expect(progress.length).to.be.greaterThan(0)
    expect(progress.map((p) => p.message).join('')).to.equal(text(result))
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).to.be.greaterThan(progress[i - 1]!.progress)
    expect(progress.at(-1)?.progress).to.equal(text(result).length)
    expect((result._meta?.['plexi/answer'] as { completionTokens: number }).completionTokens).to.be.greaterThan(0)
    expect((await history('ann')).map((t) => [t.role, t.content])).to.deep.equal([['user', 'what is plexi?'], ['assistant', text(result)]])
    expect(await history('bob')).to.deep.equal([])
  })

  it('should answer the agent without progress when the call asks for none', async () => {
    const result = await bob.callTool({ name: 'ask_agent', arguments: { question: 'quietly' } })
    expect(text(result).length).to.be.greaterThan(0)
    expect((await history('bob')).map((t) => t.content)).to.deep.equal(['quietly', text(result)])
  })

  it('should stop the generation when the client cancels the call, keeping what was said, and count it cancelled', async () => {
    const configure = async (maxTokens: number): Promise<void> => {
      await node.parts.c.get('system').entity(AGENT, 'ann').ask((replyTo) => ({ type: 'configure', user: 'ann', change: { sampling: { maxTokens } }, replyTo }))
    }
    await configure(1500)
    try {
      const abort = new AbortController()
      const received: string[] = []
      const err = await rejection(() => ann.callTool({ name: 'ask_agent', arguments: { question: 'tell me a long story' } }, undefined, {
        signal: abort.signal,
        onprogress: (p) => {
          received.push(p.message ?? '')
          if (received.length === 3) abort.abort(new Error('the user pressed stop'))
        }
      }))
      expect(err.message).to.contain('the user pressed stop')
      await waitFor(async () => (await history('ann')).at(-2)?.content === 'tell me a long story', 'the cut answer in the agent\'s history', { timeout: 30_000 })
      const last = (await history('ann')).at(-1) as AgentTurn
      expect(last.stopReason).to.equal('cancelled')
      expect(last.content.startsWith(received.join(''))).to.equal(true)
      await waitFor(async () => (await node.registry.metrics()).includes('plexi_mcp_requests_total{method="tools/call:ask_agent",outcome="cancelled"} 1'), 'the cancelled call counted')
    } finally {
      await configure(12)
    }
  })

  it('should count every request by method and outcome, a tool\'s error result as an error', async () => {
    const metrics = await node.registry.metrics()
    expect(metrics).to.match(/plexi_mcp_requests_total\{method="initialize",outcome="ok"\} [2-9]/)
    expect(metrics).to.match(/plexi_mcp_requests_total\{method="tools\/call:read_history",outcome="error"\} [1-9]/)
    expect(metrics).to.match(/plexi_mcp_requests_total\{method="tools\/call:other",outcome="error"\} 1/)
    expect(metrics).to.match(/plexi_mcp_request_duration_seconds_count\{method="tools\/call:ask_agent"\} [1-9]/)
  })

  it('should say what the client got wrong, and only that a failure of the node or the cluster happened', () => {
    const logged: string[] = []
    const log = { warn: (_: object, msg: string) => { logged.push(msg) } }
    expect(toolError('post_message', new InvalidRequestError('text: must not be empty'), log)).to.deep.equal({ content: [{ type: 'text', text: 'text: must not be empty' }], isError: true })
    const internal = toolError('list_rooms', new Error('peer 12D3Koo at 10.0.0.5 broke'), log)
    expect(text(internal)).to.equal('list_rooms failed on the server; see the node\'s log')
    expect(logged).to.have.length(1)
    expect(logged[0]).to.contain('10.0.0.5')
    expect(text(toolError('ask_agent', new NotServingError('node 10.0.0.5 stopping'), log))).to.not.contain('10.0.0.5')
    expect(text(toolError('x', new InvalidRequestError('y'.repeat(10_000)), log)).length).to.be.below(600)
  })
})
