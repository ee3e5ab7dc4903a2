import { expect } from 'chai'
import fc from 'fast-check'
import { join } from 'node:path'
import {
  AGENT, ActorSystem, AGENT_TOOL_RESULT_BYTES, AgentToolsUnavailableError, MAX_TOOL_CALLS_PER_ROUND, MAX_TOOL_ROUNDS, STREAM_TOOL_RESULT_BYTES, UNANSWERED_CALL, checkAgentMsg, toolPolicy, userAgent
} from '../../../actors/index.ts'
import { ToolDeniedError } from '../../../protocols/index.ts'
import type { ActorRef, AgentAnswer, AgentStreamEvent, AgentTurn, UserAgentOptions } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { ToolPolicy } from '../../../node/users/index.ts'
import { agentSink } from '../../helpers/agent-sink.ts'
import type { SinkMsg } from '../../helpers/agent-sink.ts'
import { agentMessage } from '../../helpers/entity-messages.ts'
import { useEntityPair } from '../../helpers/entity-pair.ts'
import { FunctionTools } from '../../helpers/function-tools.ts'
import { ScriptedInference } from '../../helpers/grpc-services.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** A tool call's deadline in these specs: the hanging tool is given up on after it (and the grace). */
const DEADLINE_MS = 200
const SAMPLING = { temperature: 0, topP: 1, topK: 0, maxTokens: 16 }
const GRANTED = ['calc__add', 'clock__*', 'slow__wait', 'stuck__hang', 'text__repeat']

/** The events of an answer as short strings, in order. */
function shown (events: readonly AgentStreamEvent[], requestId: string): string[] {
  return events.filter((e) => e.requestId === requestId).map(({ event: e }) => {
    switch (e.kind) {
      case 'token': return `token ${e.text}`
      case 'queued': return `queued ${e.position}`
      case 'tool-call': return `call ${e.name} ${e.arguments}`
      case 'tool-result': return `result ${e.name}${e.isError ? ' error' : ''}`
    }
  })
}

const turns = (history: readonly AgentTurn[]): string[][] => history.map((t) => [t.role, t.stopReason ?? t.toolName ?? '', t.content.slice(0, 40)])

describe('an agent that uses tools (real actor system and LevelDB journal, real tool policy, a scripted model)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let gateway: ActorRef<SinkMsg>
  let model: ScriptedInference
  let policy: ToolPolicy
  let tools: FunctionTools

  async function open (options: Partial<UserAgentOptions> = {}): Promise<void> {
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    policy = new ToolPolicy({ system })
    system.registerEntity(toolPolicy)
    system.registerEntity(userAgent({ inference: model, sampling: SAMPLING, maxTokensLimit: 64, tools, toolDeadlineMs: DEADLINE_MS, ...options }))
    gateway = system.spawn(agentSink(), { name: 'gw' })
  }

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(join(dir.path, 'store'))
    model = new ScriptedInference()
    // the policy is the agent's system's own (open makes it): the provider asks it at each call
    tools = new FunctionTools(async (user, tool) => await policy.allowed(user, tool))
    await open()
    await policy.grant('ann', GRANTED)
  })
  afterEach(async () => {
    tools.release()
    // nothing it was sent, nothing a tool did, crashed or restarted it
    expect([system.stats.failures, system.stats.restarts]).to.deep.equal([0, 0])
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const agent = (user = 'ann') => system.entity(AGENT, user)
  const ask = (text: string, requestId: string, user = 'ann', tool?: string): Promise<AgentAnswer> =>
    agent(user).ask<AgentAnswer>((replyTo) => ({ type: 'ask', user, text, requestId, sink: { kind: 'actor', address: gateway.address }, ...(tool !== undefined && { tool }), replyTo }), { timeout: 20_000 })
  const history = (user = 'ann'): Promise<AgentTurn[]> => agent(user).ask<AgentTurn[]>((replyTo) => ({ type: 'history', user, limit: 200, replyTo }))
  const events = (): Promise<AgentStreamEvent[]> => gateway.ask<AgentStreamEvent[]>((replyTo) => ({ type: 'events', replyTo }))
  const results = (from: number) => model.prompts[from]?.messages.filter((m) => m.role === 'tool').map((m) => m.content) ?? []

  it('should offer its user\'s tools, make the calls the model asks for, and answer with their results, streaming calls and results in order between the tokens', async () => {
    model.steps.push({ call: [{ name: 'calc__add', arguments: { a: 2, b: 3 } }, { name: 'clock__now', arguments: {} }] }, { say: (p) => `sum ${p.messages.at(-2)?.content ?? ''}` })
    const answer = await ask('What is 2 + 3?', 'r1')
    expect(answer).to.include({ requestId: 'r1', text: 'sum 5', stopReason: 'eos', model: 'scripted', promptTokens: 6, completionTokens: 4, ttftMs: 1 })
    // offered sorted by name, as the model is shown them; the policy's grants only
    expect(model.prompts[0]?.tools?.map((t) => t.name)).to.deep.equal(['calc__add', 'clock__now', 'slow__wait', 'stuck__hang', 'text__repeat'])
    expect(model.prompts[0]?.tools?.[0]).to.deep.include({ description: 'Adds two numbers', parameters: { type: 'object', required: ['a', 'b'], properties: { a: { type: 'number' }, b: { type: 'number' } } } })
    expect(model.prompts.map((p) => p.toolChoice)).to.deep.equal(['auto', 'auto'])
    // the second generation sees the calls and their results, in call order
    const second = model.prompts[1]?.messages ?? []
    expect(second.map((m) => m.role)).to.deep.equal(['system', 'user', 'assistant', 'tool', 'tool'])
    expect(second[2]?.toolCalls?.map((c) => c.name)).to.deep.equal(['calc__add', 'clock__now'])
    expect(second.slice(3).map((m) => m.toolCallId)).to.deep.equal(second[2]?.toolCalls?.map((c) => c.id))
    expect(second[3]?.content).to.equal('5')
    expect(Date.parse(second[4]?.content ?? '')).to.be.a('number').and.not.NaN
    // one conversation, one cache key: each round's prompt extends the last
    expect(model.cacheKeys).to.deep.equal(['agent/ann', 'agent/ann'])
    expect(tools.seen.map((s) => [s.user, s.call.name, s.deadlineMs, s.signal instanceof AbortSignal])).to.deep.equal([['ann', 'calc__add', DEADLINE_MS, true], ['ann', 'clock__now', DEADLINE_MS, true]])
    expect(shown(await events(), 'r1')).to.deep.equal([
      'call calc__add {"a":2,"b":3}', 'call clock__now {}', 'result calc__add', 'result clock__now', 'token sum', 'token  5'
    ])
    expect(turns(await history())).to.deep.equal([
      ['user', '', 'What is 2 + 3?'], ['assistant', 'tool-calls', ''], ['tool', 'calc__add', '5'], ['tool', 'clock__now', second[4]?.content ?? ''], ['assistant', 'eos', 'sum 5']
    ])
  })

  it('should have the model call the tool an ask forces in its first round, every tool offered, and choose freely after', async () => {
    model.steps.push({ call: [{ name: 'clock__now', arguments: {} }] }, { call: [{ name: 'calc__add', arguments: { a: 1, b: 2 } }] }, { say: 'done' })
    const answer = await ask('what time is it?', 'f1', 'ann', 'clock__now')
    expect(answer).to.include({ text: 'done', stopReason: 'eos' })
    expect(model.prompts.map((p) => p.toolChoice)).to.deep.equal([{ name: 'clock__now' }, 'auto', 'auto'])
    expect(model.prompts[0]?.tools?.map((t) => t.name)).to.deep.equal(['calc__add', 'clock__now', 'slow__wait', 'stuck__hang', 'text__repeat'])
    expect(tools.seen.map((c) => c.call.name)).to.deep.equal(['clock__now', 'calc__add'])
    expect(turns(await history()).map((t) => t.slice(0, 2))).to.deep.equal([['user', ''], ['assistant', 'tool-calls'], ['tool', 'clock__now'], ['assistant', 'tool-calls'], ['tool', 'calc__add'], ['assistant', 'eos']])
  })

  it('should refuse an ask forcing a tool its user may not use with nothing journaled, and answer the questions waiting behind it', async () => {
    await policy.switch('ann', { disable: ['text__repeat'] })
    for (const tool of ['text__repeat', 'calc__sub', 'other__x']) {
      const refused = await rejection(() => ask('use it', `d-${tool}`, 'ann', tool))
      expect(refused, tool).to.be.instanceOf(ToolDeniedError)
      expect(refused.message).to.equal(`ann may not call ${tool}: it is not among the tools their agent may use now (granted by an admin, turned on, and offered by a plugin or server that is up: plexi agent tools lists them)`)
    }
    expect(await history()).to.deep.equal([])
    expect(model.prompts).to.deep.equal([])
    // behind an answer in progress: refused when its turn comes, and the next one answered
    model.steps.push({ call: [{ name: 'slow__wait', arguments: {} }] }, { say: 'waited' }, { say: 'next' })
    const first = ask('wait', 'q1')
    await waitFor(() => tools.waiting === 1, 'the tool to be called')
    const forced = rejection(() => ask('use it', 'q2', 'ann', 'other__x'))
    const third = ask('and then?', 'q3')
    tools.release()
    expect((await first).text).to.equal('waited')
    expect(await forced).to.be.instanceOf(ToolDeniedError)
    expect((await third).text).to.equal('next')
    expect((await history()).filter((t) => t.role === 'user').map((t) => t.requestId)).to.deep.equal(['q1', 'q3'])
    // a list of tools that cannot be had: refused as unavailable, nothing kept either
    await system.terminate()
    await open({ tools: { tools: async () => { throw new Error('the plugins are down') }, call: async () => { throw new Error('unreachable') } } })
    const unavailable = await rejection(() => ask('now?', 'u1', 'ann', 'clock__now'))
    expect([unavailable.constructor, unavailable.message]).to.deep.equal([AgentToolsUnavailableError, 'the tools ann may use could not be listed (Error: the plugins are down); ask again'])
    expect((await history()).map((t) => t.requestId)).to.not.include('u1')
  })

  it('should keep the calls and results across a restart, and give the next question\'s prompt the whole exchange', async () => {
    model.steps.push({ call: [{ name: 'calc__add', arguments: { a: 1, b: 1 } }] }, { say: 'two' })
    await ask('1 + 1?', 'r1')
    const before = await history()
    await system.terminate()
    await open()
    expect(await history()).to.deep.equal(before)
    expect(before[1]?.toolCalls).to.deep.equal([{ id: 'call-1-1', name: 'calc__add', arguments: { a: 1, b: 1 } }])
    expect(before[2]).to.include({ role: 'tool', toolCallId: 'call-1-1', toolName: 'calc__add', isError: false, content: '2' })
    await ask('and again?', 'r2')
    const next = model.prompts.at(-1)?.messages ?? []
    expect(next.map((m) => [m.role, m.content])).to.deep.equal([
      ['system', next[0]?.content], ['user', '1 + 1?'], ['assistant', ''], ['tool', '2'], ['assistant', 'two'], ['user', 'and again?']
    ])
    expect(next[2]?.toolCalls?.[0]?.id).to.equal(next[3]?.toolCallId)
  })

  it('should cancel a tool call in flight when its answer is cancelled, and end the ask with the call and its result kept', async () => {
    model.steps.push({ call: [{ name: 'slow__wait', arguments: {} }] })
    const answer = ask('wait for it', 'c1')
    await waitFor(() => tools.waiting === 1, 'the tool to be called')
    agent().tell({ type: 'cancel', user: 'ann', requestId: 'c1' })
    expect(await answer).to.include({ requestId: 'c1', text: '', stopReason: 'cancelled' })
    expect(tools.seen[0]?.signal?.aborted, 'the call\'s signal').to.equal(true)
    expect(shown(await events(), 'c1')).to.deep.equal(['call slow__wait {}', 'result slow__wait error'])
    expect(turns(await history())).to.deep.equal([['user', '', 'wait for it'], ['assistant', 'tool-calls', ''], ['tool', 'slow__wait', 'cancelled: the answer was stopped'], ['assistant', 'cancelled', '']])
    // the conversation goes on, the stopped exchange in its prompt
    expect((await ask('hello?', 'c2')).text).to.equal('scripted answer here')
    expect(model.prompts.at(-1)?.messages.map((m) => m.role)).to.deep.equal(['system', 'user', 'assistant', 'tool', 'assistant', 'user'])
  })

  it('should give the model an error result, never fail the ask, when a tool fails, hangs, is not offered, is denied at the call, or gets bad arguments', async () => {
    // the user turns clock__now off once the tools were offered: the provider refuses its call
    model.onGenerate = async () => {
      model.onGenerate = undefined
      await policy.switch('ann', { disable: ['clock__now'] })
    }
    model.steps.push({
      call: [
        { name: 'calc__add', arguments: { a: 'two', b: 3 } },
        { name: 'stuck__hang', arguments: {} },
        { name: 'files__delete', arguments: { path: '/' } },
        { name: 'clock__now', arguments: {} },
        { name: 'text__repeat', arguments: { word: 'x'.repeat(70_000) } }
      ]
    }, { say: (p) => p.messages.filter((m) => m.role === 'tool').map((m) => m.content).join(' | ') })
    const answer = await ask('try everything', 'e1')
    expect(answer.stopReason).to.equal('eos')
    expect(results(1)).to.deep.equal([
      'a and b must be numbers',
      `the tool did not answer within ${DEADLINE_MS} ms`,
      'there is no tool files__delete for you: call one of the tools you were given',
      'ToolDeniedError: clock__now is not a tool ann may use',
      'the arguments must be a JSON object of at most 65536 characters'
    ])
    expect((await history()).filter((t) => t.role === 'tool').map((t) => t.isError)).to.deep.equal([true, true, true, true, true])
    // the refused calls were never made, and the hanging one was aborted
    expect(tools.seen.map((s) => s.call.name)).to.deep.equal(['calc__add', 'stuck__hang', 'clock__now'])
    expect(tools.seen[1]?.signal?.aborted).to.equal(true)
    // kept without the refused arguments
    expect((await history())[1]?.toolCalls?.[4]).to.deep.equal({ id: 'call-1-5', name: 'text__repeat', arguments: {} })
  })

  it(`should make at most ${MAX_TOOL_CALLS_PER_ROUND} calls a round and ${MAX_TOOL_ROUNDS} rounds an ask, the last generation shown the tools but not let call them`, async () => {
    const add = { name: 'calc__add', arguments: { a: 1, b: 2 } }
    model.steps.push({ call: Array.from({ length: MAX_TOOL_CALLS_PER_ROUND + 3 }, () => add) })
    for (let i = 1; i < MAX_TOOL_ROUNDS + 1; i++) model.steps.push({ call: [add] })
    const answer = await ask('loop', 'l1')
    // the model called again after its last round: the answer ends there, the calls not made
    expect(answer.stopReason).to.equal('tool-calls')
    expect(model.prompts.map((p) => p.toolChoice)).to.deep.equal([...Array.from({ length: MAX_TOOL_ROUNDS }, () => 'auto'), 'none'])
    expect(model.prompts.at(-1)?.tools).to.have.length(GRANTED.length)
    expect(tools.seen).to.have.length(MAX_TOOL_CALLS_PER_ROUND + MAX_TOOL_ROUNDS - 1)
    expect(results(1)).to.have.length(MAX_TOOL_CALLS_PER_ROUND)
    const kept = await history()
    expect(kept.filter((t) => t.role === 'tool')).to.have.length(MAX_TOOL_CALLS_PER_ROUND + MAX_TOOL_ROUNDS - 1)
    expect(kept.at(-1)).to.include({ role: 'assistant', stopReason: 'tool-calls' }).and.not.have.property('toolCalls')
  })

  it('should keep a long result clipped in the conversation and show its first KiB in the stream', async () => {
    model.steps.push({ call: [{ name: 'text__repeat', arguments: { word: 'ab', times: 20_000 } }] }, { say: 'long' })
    await ask('a long one', 't1')
    const kept = (await history())[2]?.content ?? ''
    expect(Buffer.byteLength(kept)).to.be.at.most(AGENT_TOOL_RESULT_BYTES)
    expect(kept).to.match(/^abab/).and.match(/\n\[cut: 40000 bytes in all\]$/)
    const result = (await events()).find((e) => e.event.kind === 'tool-result')?.event
    expect(result).to.include({ kind: 'tool-result', name: 'text__repeat', isError: false, clipped: true })
    expect(Buffer.byteLength((result as { text: string }).text)).to.be.at.most(STREAM_TOOL_RESULT_BYTES)
  })

  it('should drop the answer and its results on a reset during a tool call, and end as interrupted when the node stops during one', async () => {
    model.steps.push({ call: [{ name: 'slow__wait', arguments: {} }] })
    const dropped = ask('forget me', 'd1')
    await waitFor(() => tools.waiting === 1, 'the tool to be called')
    expect(await agent().ask<number>((replyTo) => ({ type: 'reset', user: 'ann', replyTo }))).to.equal(2)
    expect(await dropped).to.include({ text: '', stopReason: 'cancelled' })
    expect(await history()).to.deep.equal([])

    model.steps.push({ call: [{ name: 'slow__wait', arguments: {} }] })
    const stopped = ask('stop me', 'i1')
    await waitFor(() => tools.waiting === 1, 'the tool to be called')
    expect(await system.settleEntities(0, 10_000)).to.deep.equal({ interrupted: 1, busy: 0 })
    expect(await stopped).to.include({ text: '', stopReason: 'interrupted' })
    expect(turns(await history())).to.deep.equal([['user', '', 'stop me'], ['assistant', 'tool-calls', ''], ['tool', 'slow__wait', 'cancelled: the answer was stopped'], ['assistant', 'interrupted', '']])
  })

  it('should answer without tools when its user has none, when they turned them all off, or when the list cannot be had', async () => {
    await ask('hi', 'n1', 'bob')
    expect(model.prompts.at(-1)).to.not.have.property('tools')
    await policy.switch('ann', { disable: ['calc__add', 'clock__*', 'slow__wait', 'stuck__hang', 'text__repeat'] })
    await ask('hi', 'n2')
    expect(model.prompts.at(-1)).to.not.have.property('tools')
    await system.terminate()
    await open({ tools: { tools: async () => { throw new Error('the plugins are down') }, call: async () => { throw new Error('unreachable') } } })
    expect((await ask('still there?', 'n3')).text).to.equal('scripted answer here')
    expect(model.prompts.at(-1)).to.not.have.property('tools')
    // and with no provider at all, the prompt is what it always was
    await system.terminate()
    await open({ tools: undefined })
    await ask('plain', 'n4')
    expect(Object.keys(model.prompts.at(-1) ?? {}).sort()).to.deep.equal(['messages', 'sampling'])
  })

  it('should give every call in a prompt a result, when the node stopped between a call and its result', async () => {
    // journaled by hand as a node that stopped mid-round leaves it: the calls, no results
    model.steps.push({ call: [{ name: 'calc__add', arguments: { a: 1, b: 1 } }] }, { say: 'ok' })
    await ask('one', 'u1')
    await system.terminate()
    const journal = await openLocalJournal(store)
    const log = await journal.open('agent/ann')
    await log.append([{ seq: log.head + 1, event: { type: 'user-asked', requestId: 'u2', text: 'two', ts: 1 } }, {
      seq: log.head + 2, event: { type: 'tools-called', requestId: 'u2', text: '', model: 'scripted', calls: [{ id: 'lost', name: 'calc__add', arguments: { a: 2, b: 2 } }], ts: 2 }
    }])
    await log.close()
    await open()
    await ask('three', 'u3')
    const messages = model.prompts.at(-1)?.messages ?? []
    expect(messages.map((m) => [m.role, m.content])).to.deep.include.members([['tool', UNANSWERED_CALL]])
    expect(messages.findIndex((m) => m.toolCallId === 'lost')).to.equal(messages.findIndex((m) => m.toolCalls?.[0]?.id === 'lost') + 1)
  })

  it('should handle every message its check passes, forged ends of tool rounds among them, without crashing, and refuse the rest before it sees them', async () => {
    let passed = 0
    model.answer = 'ok'
    await fc.assert(fc.asyncProperty(fc.array(agentMessage(), { maxLength: 8 }), async (messages) => {
      for (const msg of messages) {
        let ok = true
        try { checkAgentMsg(msg) } catch { ok = false }
        let told: boolean
        try {
          told = agent().tell(msg as never)
        } catch (err) {
          expect((err as Error).name).to.equal('NotSerializableError')
          continue
        }
        expect(told, JSON.stringify(msg)).to.equal(ok)
        if (ok) passed++
      }
      await agent().ask((replyTo) => ({ type: 'settings', user: 'ann', replyTo }))
    }), { numRuns: 60, seed: 20261125 })
    await system.settleEntities(10_000, 5_000)
    expect(passed).to.be.above(30)
  })
})

describe('an agent that uses tools, moving live between two nodes (one LevelDB journal)', function () {
  this.timeout(30_000)
  const model = new ScriptedInference()
  const tools = new FunctionTools()
  const pair = useEntityPair((system) => {
    system.registerEntity(userAgent({ inference: model, sampling: SAMPLING, maxTokensLimit: 64, tools }))
  })

  it('should wait for its tool call before it moves, and answer on its new node with the whole exchange in its prompt', async () => {
    const { a, b } = pair
    const sinkA = a.system.spawn(agentSink(), { name: 'gw' })
    const sinkB = b.system.spawn(agentSink(), { name: 'gw' })
    const askOn = (node: typeof a, sink: ActorRef<SinkMsg>, text: string, requestId: string) => node.system.entity(AGENT, 'ann').ask<AgentAnswer>((replyTo) => ({
      type: 'ask', user: 'ann', text, requestId, sink: { kind: 'actor', address: sink.address }, replyTo
    }), { timeout: 20_000 })
    model.steps.push({ call: [{ name: 'slow__wait', arguments: {} }] }, { say: 'waited' })
    const answer = askOn(a, sinkA, 'wait, then move', 'm1')
    await waitFor(() => tools.waiting === 1, 'the tool to be called')
    // the move waits for the answer in progress (the agent is busy while its tool runs)
    const releasing = a.port.release('agent', 'ann', { busyMs: 10_000, graceMs: 1_000 })
    tools.release()
    expect(await answer).to.include({ text: 'waited', stopReason: 'eos' })
    const released = await releasing
    if (released.outcome !== 'released') throw new Error(`not released: ${released.outcome}`)
    expect(await b.port.adopt('agent', 'ann', released.handOff)).to.equal('ok')
    a.port.finishRelease('agent', 'ann', 'b')
    a.owner = 'b'
    b.owner = 'b'
    a.port.viewChanged()
    b.port.viewChanged()
    // on b: the exchange came along, and the conversation goes on with it
    model.steps.push({ call: [{ name: 'calc__add', arguments: { a: 4, b: 4 } }] }, { say: 'eight' })
    expect(await askOn(b, sinkB, 'and 4 + 4?', 'm2')).to.include({ text: 'eight' })
    const history = await b.system.entity(AGENT, 'ann').ask<AgentTurn[]>((replyTo) => ({ type: 'history', user: 'ann', limit: 200, replyTo }))
    expect(turns(history)).to.deep.equal([
      ['user', '', 'wait, then move'], ['assistant', 'tool-calls', ''], ['tool', 'slow__wait', 'released'], ['assistant', 'eos', 'waited'],
      ['user', '', 'and 4 + 4?'], ['assistant', 'tool-calls', ''], ['tool', 'calc__add', '8'], ['assistant', 'eos', 'eight']
    ])
    expect(model.prompts.at(-1)?.messages.map((m) => m.role)).to.deep.equal(['system', 'user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'tool'])
    expect(shown(await sinkB.ask<AgentStreamEvent[]>((replyTo) => ({ type: 'events', replyTo })), 'm2')).to.deep.equal(['call calc__add {"a":4,"b":4}', 'result calc__add', 'token eight'])
  })
})
