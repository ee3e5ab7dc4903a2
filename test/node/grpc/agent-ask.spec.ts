import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import type { FunctionTools } from '../../helpers/function-tools.ts'
import { GrpcServices } from '../../helpers/grpc-services.ts'
import { collectAnswer } from '../../helpers/node-process.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('askCall (real gRPC, a real agent and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices

  beforeEach(async () => { s = await GrpcServices.start() })
  afterEach(async () => { await s.stop() })

  it('should stream the request id, the answer\'s text and then done with its figures, when the caller asks its agent', async () => {
    const { events, error } = await collectAnswer(s.agent(s.annToken).ask('Hello?'))
    expect(error).to.equal(undefined)
    const requestId = events[0]?.started?.requestId
    expect(requestId).to.be.a('string')
    expect(events.filter((e) => e.token !== undefined).map((e) => e.token?.text).join('')).to.equal('scripted answer here')
    expect(events.at(-1)?.done).to.deep.include({ requestId, model: 'scripted', stopReason: 'eos', promptTokens: 3, completionTokens: 3, droppedTurns: 0, cachedTokens: 0, cache: '' })
  })

  it('should refuse an empty or too long question, or another user\'s agent, before the agent is asked', async () => {
    const refusals = [
      [await collectAnswer(s.agent(s.annToken).ask('  ')), grpc.status.INVALID_ARGUMENT, 'text: must not be empty'],
      [await collectAnswer(s.agent(s.annToken).ask('x'.repeat(101))), grpc.status.INVALID_ARGUMENT, 'text: 101 bytes is over the limit of 100 bytes'],
      [await collectAnswer(s.agent(s.annToken).ask('hi', 'bob')), grpc.status.PERMISSION_DENIED, 'ann may not talk to bob\'s agent; only its own user may'],
      [await collectAnswer(s.agent('plxu_wrong').ask('hi')), grpc.status.UNAUTHENTICATED, 'invalid or revoked token']
    ] as const
    for (const [{ events, error }, code, details] of refusals) {
      expect(events).to.deep.equal([])
      expect([error?.code, error?.details]).to.deep.equal([code, details])
    }
    expect(s.inference.prompts).to.deep.equal([])
  })

  it('should refuse to force a tool on a node that has no tools for agents, before the agent is asked', async () => {
    const { events, error } = await collectAnswer(s.agent(s.annToken).ask('now?', '', 'clock__now'))
    expect([events, error?.code, error?.details]).to.deep.equal([[], grpc.status.UNIMPLEMENTED, 'this node has no tools set up for agents; retry, or connect to another node'])
    expect(s.inference.prompts).to.deep.equal([])
  })

  it('should cancel the generation and send nothing more, when the client cancels the call', async () => {
    s.inference.hold = true
    const stream = s.agent(s.annToken).ask('A long one')
    const events: unknown[] = []
    stream.on('data', (e) => { events.push(e) })
    stream.on('error', () => undefined)
    await waitFor(() => s.inference.prompts.length === 1, 'the generation to start')
    stream.cancel()
    await waitFor(() => s.inference.cancelled === 1, 'the generation to be cancelled')
    expect(events.every((e) => (e as { done?: unknown }).done === undefined)).to.equal(true)
  })
})

describe('askCall with tools (real gRPC, a real agent, its tool policy and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  let tools: FunctionTools

  beforeEach(async () => {
    s = await GrpcServices.start({}, {}, { tools: true })
    tools = s.tools as FunctionTools
    await s.toolPolicy.grant('ann', ['calc__*'])
  })
  afterEach(async () => { await s.stop() })

  it('should stream the tool calls and their results between the tokens, in order, and end with done', async () => {
    s.inference.steps.push({ call: [{ name: 'calc__add', arguments: { a: 20, b: 22 } }] }, { say: (p) => `it is ${p.messages.at(-1)?.content ?? ''}` })
    const { events, error } = await collectAnswer(s.agent(s.annToken).ask('20 + 22?'))
    expect(error).to.equal(undefined)
    // (tokens may come coalesced: one kind per run of them)
    const kinds = events.map((e) => Object.keys(e).find((k) => (e as Record<string, unknown>)[k] != null && k !== 'event')).filter((k, i, all) => k !== 'token' || all[i - 1] !== 'token')
    expect(kinds).to.deep.equal(['started', 'toolCall', 'toolResult', 'token', 'done'])
    const call = events[1] as { toolCall: { id: string } }
    expect(events[1]).to.deep.include({ toolCall: { id: call.toolCall.id, name: 'calc__add', arguments: '{"a":20,"b":22}' } })
    expect(events[2]).to.deep.include({ toolResult: { id: call.toolCall.id, name: 'calc__add', isError: false, text: '42', clipped: false } })
    expect(events.filter((e) => e.token != null).map((e) => e.token?.text).join('')).to.equal('it is 42')
    expect(events.at(-1)?.done).to.deep.include({ stopReason: 'eos', completionTokens: 4 })
  })

  it('should have the agent call the tool the request forces first, then choose freely', async () => {
    s.inference.steps.push({ call: [{ name: 'calc__add', arguments: { a: 1, b: 2 } }] }, { say: 'three' })
    const { events, error } = await collectAnswer(s.agent(s.annToken).ask('add them', '', 'calc__add'))
    expect(error).to.equal(undefined)
    expect(s.inference.prompts.map((p) => p.toolChoice)).to.deep.equal([{ name: 'calc__add' }, 'auto'])
    expect(events.find((e) => e.toolResult != null)?.toolResult).to.deep.include({ name: 'calc__add', text: '3', isError: false })
    expect(events.at(-1)?.done).to.deep.include({ stopReason: 'eos' })
  })

  it('should refuse a forced tool that is malformed or not the caller\'s to use before anything is sent, the agent asked nothing and keeping nothing', async () => {
    const refusals = [
      ['clock__now', grpc.status.PERMISSION_DENIED, 'ann may not call clock__now: it is not among the tools your agent may use now (granted by an admin, turned on, and offered by a plugin or server that is up): plexi agent tools lists them'],
      ['calc__*', grpc.status.INVALID_ARGUMENT, 'tool: expected a qualified tool name <source>__<tool> of at most 64 characters'],
      ['', grpc.status.INVALID_ARGUMENT, 'tool: expected a qualified tool name <source>__<tool> of at most 64 characters']
    ] as const
    for (const [tool, code, details] of refusals) {
      const { events, error } = await collectAnswer(s.agent(s.annToken).ask('use it', '', tool))
      expect([events, error?.code, error?.details], tool).to.deep.equal([[], code, details])
    }
    expect(s.inference.prompts).to.deep.equal([])
    expect((await s.agent(s.annToken).call<{ turns: unknown[] }>('History', {})).turns ?? []).to.deep.equal([])
  })

  it('should cancel the tool call running, when the client cancels the call', async () => {
    await s.toolPolicy.grant('ann', ['slow__wait'])
    s.inference.steps.push({ call: [{ name: 'slow__wait', arguments: {} }] })
    const stream = s.agent(s.annToken).ask('wait')
    stream.on('error', () => undefined)
    await waitFor(() => tools.waiting === 1, 'the tool to be called')
    stream.cancel()
    await waitFor(() => tools.seen[0]?.signal?.aborted === true, 'the tool call to be cancelled')
  })
})
