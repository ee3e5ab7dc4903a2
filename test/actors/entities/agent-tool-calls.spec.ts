import { expect } from 'chai'
import { AGENT_TOOL_RESULT_BYTES, AgentToolsUnavailableError, MAX_TOOL_CALLS_PER_ROUND, STREAM_TOOL_RESULT_BYTES } from '../../../actors/index.ts'
import { callTools, forcedToolOffer, normalizeCalls, offerTools, streamedCall, streamedResult } from '../../../actors/entities/agent-tool-calls.ts'
import { MAX_TOOL_ARGS_BYTES, ToolDeniedError } from '../../../protocols/index.ts'
import type { ToolCall, ToolProvider } from '../../../protocols/index.ts'
import { FunctionTools } from '../../helpers/function-tools.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const TIMING = { deadlineMs: 100, graceMs: 50 }
const offered = new Set(['calc__add', 'clock__now', 'slow__wait', 'stuck__hang', 'text__repeat'])

describe('offerTools', () => {
  it('should list the user\'s tools from the provider, and none without one', async () => {
    const tools = new FunctionTools(async (user, tool) => user === 'ann' && tool.source.name === 'calc')
    expect((await offerTools(tools, 'ann', 1_000, () => undefined)).map((t) => t.name)).to.deep.equal(['calc__add'])
    expect(await offerTools(tools, 'bob', 1_000, () => undefined)).to.deep.equal([])
    expect(await offerTools(undefined, 'ann', 1_000, () => undefined)).to.deep.equal([])
  })

  it('should offer none, and say why, when the provider fails or does not answer in time', async () => {
    const why: string[] = []
    const failing: ToolProvider = { tools: async () => { throw new Error('down') }, call: async () => { throw new Error('down') } }
    const silent: ToolProvider = { tools: async () => await new Promise(() => undefined), call: async () => await new Promise(() => undefined) }
    expect(await offerTools(failing, 'ann', 1_000, (w) => { why.push(w) })).to.deep.equal([])
    expect(await offerTools(silent, 'ann', 20, (w) => { why.push(w) })).to.deep.equal([])
    expect(why).to.deep.equal(['Error: down', 'Error: no list of tools within 20 ms'])
  })
})

describe('forcedToolOffer', () => {
  it('should offer the user\'s tools as the model is shown them when the forced one is among them, and refuse it otherwise', async () => {
    const tools = new FunctionTools(async (user, tool) => user === 'ann' && tool.source.name !== 'stuck')
    expect((await forcedToolOffer(tools, 'ann', 'clock__now', 1_000)).map((t) => t.name)).to.deep.equal(['calc__add', 'clock__now', 'slow__wait', 'text__repeat'])
    for (const [user, tool] of [['ann', 'stuck__hang'], ['ann', 'clock__later'], ['bob', 'clock__now']]) {
      expect(await rejection(() => forcedToolOffer(tools, user as string, tool as string, 1_000)), `${user} ${tool}`).to.be.instanceOf(ToolDeniedError)
    }
    expect((await rejection(() => forcedToolOffer(undefined, 'ann', 'clock__now', 1_000))).message).to.equal('ann may not call clock__now: this node has no tools for agents')
  })

  it('should say the tools are unavailable, not denied, when they cannot be listed in time', async () => {
    const silent: ToolProvider = { tools: async () => await new Promise(() => undefined), call: async () => await new Promise(() => undefined) }
    const err = await rejection(() => forcedToolOffer(silent, 'ann', 'clock__now', 20))
    expect([err.constructor, err.message]).to.deep.equal([AgentToolsUnavailableError, 'the tools ann may use could not be listed (Error: no list of tools within 20 ms); ask again'])
  })
})

describe('normalizeCalls', () => {
  it(`should keep at most ${MAX_TOOL_CALLS_PER_ROUND} calls, each with a short id unique in the round`, () => {
    const calls: ToolCall[] = Array.from({ length: MAX_TOOL_CALLS_PER_ROUND + 2 }, (_, i) => ({ id: i < 2 ? 'same' : i === 2 ? 'x'.repeat(100) : i === 3 ? 'has space' : `id${i}`, name: 'calc__add', arguments: { a: i } }))
    const kept = normalizeCalls(calls, offered)
    expect(kept).to.have.length(MAX_TOOL_CALLS_PER_ROUND)
    expect(kept.map((c) => c.id)).to.deep.equal(['same', 'call-2', 'call-3', 'call-4', 'id4', 'id5', 'id6', 'id7'])
    expect(kept.every((c) => c.refused === undefined)).to.equal(true)
    expect(normalizeCalls(undefined, offered)).to.deep.equal([])
  })

  it('should refuse, without their arguments, calls of tools not offered and calls whose arguments are not a JSON object within the limit', () => {
    const [unknown, badName, array, big, ok] = normalizeCalls([
      { id: 'a', name: 'files__delete', arguments: { path: '/' } },
      { id: 'b', name: 'no such\ntool', arguments: {} },
      { id: 'c', name: 'calc__add', arguments: [1, 2] as never },
      { id: 'd', name: 'calc__add', arguments: { a: 'x'.repeat(MAX_TOOL_ARGS_BYTES) } },
      { id: 'e', name: 'calc__add', arguments: { a: 1, b: 2 } }
    ], offered)
    expect(unknown).to.deep.equal({ id: 'a', name: 'files__delete', arguments: {}, refused: 'there is no tool files__delete for you: call one of the tools you were given' })
    expect(badName).to.deep.equal({ id: 'b', name: 'unnamed', arguments: {}, refused: 'there is no tool "no such\\ntool" for you: call one of the tools you were given' })
    expect(array?.refused).to.equal(`the arguments must be a JSON object of at most ${MAX_TOOL_ARGS_BYTES} characters`)
    expect(big?.refused).to.equal(array?.refused)
    expect(big?.arguments).to.deep.equal({})
    expect(ok).to.deep.equal({ id: 'e', name: 'calc__add', arguments: { a: 1, b: 2 } })
  })
})

describe('callTools (a provider over functions of this process)', () => {
  it('should make a round\'s calls and resolve with their results in call order, a tool\'s failure as an error result', async () => {
    const tools = new FunctionTools()
    const results = await callTools(tools, 'ann', normalizeCalls([
      { id: '1', name: 'calc__add', arguments: { a: 1, b: 2 } },
      { id: '2', name: 'calc__add', arguments: { a: 'one' } },
      { id: '3', name: 'files__read', arguments: {} }
    ], offered), new AbortController().signal, TIMING)
    expect(results).to.deep.equal([
      { callId: '1', name: 'calc__add', isError: false, text: '3' },
      { callId: '2', name: 'calc__add', isError: true, text: 'a and b must be numbers' },
      { callId: '3', name: 'files__read', isError: true, text: 'there is no tool files__read for you: call one of the tools you were given' }
    ])
    // the refused call was not made
    expect(tools.seen.map((s) => [s.user, s.call.id, s.deadlineMs])).to.deep.equal([['ann', '1', 100], ['ann', '2', 100]])
  })

  it('should answer a call that throws, or that never answers, with an error, aborting the one that did not answer', async () => {
    const throwing: ToolProvider = { tools: async () => [], call: async () => { throw Object.assign(new Error('not yours'), { name: 'ToolDeniedError' }) } }
    expect(await callTools(throwing, 'ann', normalizeCalls([{ id: '1', name: 'calc__add', arguments: {} }], offered), new AbortController().signal, TIMING))
      .to.deep.equal([{ callId: '1', name: 'calc__add', isError: true, text: 'ToolDeniedError: not yours' }])
    // one that throws at once, outside its promise
    const rude = { tools: async () => [], call: () => { throw new TypeError('bad call') } } as unknown as ToolProvider
    expect(await callTools(rude, 'ann', normalizeCalls([{ id: '1', name: 'calc__add', arguments: {} }], offered), new AbortController().signal, TIMING))
      .to.deep.equal([{ callId: '1', name: 'calc__add', isError: true, text: 'TypeError: bad call' }])
    const tools = new FunctionTools()
    expect(await callTools(tools, 'ann', normalizeCalls([{ id: '1', name: 'stuck__hang', arguments: {} }], offered), new AbortController().signal, TIMING))
      .to.deep.equal([{ callId: '1', name: 'stuck__hang', isError: true, text: 'the tool did not answer within 100 ms' }])
    expect(tools.seen[0]?.signal?.aborted).to.equal(true)
    expect(await callTools(undefined, 'ann', normalizeCalls([{ id: '1', name: 'calc__add', arguments: {} }], offered), new AbortController().signal, TIMING))
      .to.deep.equal([{ callId: '1', name: 'calc__add', isError: true, text: 'no tools are available on this node' }])
  })

  it('should end every call at once when the answer is stopped, aborting each call\'s own signal, and make none once stopped', async () => {
    const tools = new FunctionTools()
    const stop = new AbortController()
    const round = callTools(tools, 'ann', normalizeCalls([{ id: '1', name: 'slow__wait', arguments: {} }, { id: '2', name: 'stuck__hang', arguments: {} }], offered), stop.signal, { deadlineMs: 60_000, graceMs: 0 })
    await waitFor(() => tools.waiting === 1, 'the calls to be made')
    stop.abort()
    expect((await round).map((r) => [r.isError, r.text])).to.deep.equal([[true, 'cancelled: the answer was stopped'], [true, 'cancelled: the answer was stopped']])
    expect(tools.seen.map((s) => s.signal?.aborted)).to.deep.equal([true, true])
    expect(await callTools(tools, 'ann', normalizeCalls([{ id: '3', name: 'calc__add', arguments: { a: 1, b: 1 } }], offered), stop.signal, TIMING))
      .to.deep.equal([{ callId: '3', name: 'calc__add', isError: true, text: 'not called: the answer was stopped' }])
    expect(tools.seen).to.have.length(2)
  })

  it('should keep a long result to its limit, saying how long it was, and show the stream its first KiB', async () => {
    const [result] = await callTools(new FunctionTools(), 'ann', normalizeCalls([{ id: '1', name: 'text__repeat', arguments: { word: 'é', times: 20_000 } }], offered), new AbortController().signal, TIMING)
    expect(Buffer.byteLength(result?.text ?? '')).to.be.at.most(AGENT_TOOL_RESULT_BYTES)
    expect(result?.text).to.match(/^é+…\n\[cut: 40000 bytes in all\]$/)
    const streamed = streamedResult(result as NonNullable<typeof result>)
    expect(streamed).to.include({ kind: 'tool-result', id: '1', name: 'text__repeat', isError: false, clipped: true })
    expect(Buffer.byteLength((streamed as { text: string }).text)).to.be.at.most(STREAM_TOOL_RESULT_BYTES)
    expect(streamedResult({ callId: '2', name: 'calc__add', isError: false, text: '3' })).to.deep.equal({ kind: 'tool-result', id: '2', name: 'calc__add', isError: false, text: '3', clipped: false })
    expect(streamedCall({ id: '2', name: 'calc__add', arguments: { a: 1 } })).to.deep.equal({ kind: 'tool-call', id: '2', name: 'calc__add', arguments: '{"a":1}' })
  })
})
