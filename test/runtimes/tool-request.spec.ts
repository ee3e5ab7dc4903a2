import { expect } from 'chai'
import { MAX_TOOL_ARGS_BYTES } from '../../protocols/index.ts'
import { MAX_TOOL_CALLS_PER_TURN, MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOL_SCHEMA_BYTES, MAX_TOOLS_PER_REQUEST } from '../../runtimes/constants.ts'
import type { ChatTurn, GenerateRequest, ToolDefinition } from '../../runtimes/runtime.ts'
import { checkToolRequest } from '../../runtimes/tool-request.ts'
import { thrown } from '../helpers/thrown.ts'

const weather: ToolDefinition = { name: 'weather__now', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }
const clock: ToolDefinition = { name: 'clock', description: '', parameters: { type: 'object' } }
const call = { id: 'call_1', name: 'weather__now', arguments: { city: 'Oslo' } }
const params = { maxTokens: 8, temperature: 0, topP: 1, topK: 0 }

const request = (more: Partial<GenerateRequest>, messages: ChatTurn[] = [{ role: 'user', content: 'hi' }]): GenerateRequest => ({ input: { messages }, params, ...more })
/** The error checkToolRequest throws for `r`, with its class. */
const refusal = (r: GenerateRequest): Error => thrown(() => { checkToolRequest(r) })

describe('checkToolRequest', () => {
  it('should pass tools, every tool choice and a conversation of calls answered by the tool turns after them', () => {
    for (const toolChoice of [undefined, 'none', 'auto', 'required', { name: 'clock' }] as const) {
      expect(() => { checkToolRequest(request({ tools: [weather, clock], ...(toolChoice !== undefined && { toolChoice }) })) }, JSON.stringify(toolChoice)).to.not.throw()
    }
    const second = { ...call, id: 'call_2' }
    expect(() => {
      checkToolRequest(request({ tools: [weather] }, [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', toolCalls: [call, second] },
        { role: 'tool', toolCallId: 'call_2', content: 'rain' },
        { role: 'tool', toolCallId: 'call_1', content: 'sun' },
        { role: 'assistant', content: 'Sun, then rain.' }
      ]))
    }).to.not.throw()
    // a history may call tools no longer offered, and a raw prompt has no turns to check
    expect(() => { checkToolRequest(request({}, [{ role: 'assistant', content: '', toolCalls: [call] }])) }).to.not.throw()
    expect(() => { checkToolRequest({ input: { prompt: 'x' }, params }) }).to.not.throw()
  })

  it('should refuse tools that are not functions an OpenAI model may call, naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ tools: 'weather' }, /tools must be a list of at most 128 tools/],
      [{ tools: Array.from({ length: MAX_TOOLS_PER_REQUEST + 1 }, (_, i) => ({ ...clock, name: `t${i}` })) }, /tools must be a list/],
      [{ tools: [null] }, /tools\[0\] must be \{ name, description, parameters \}/],
      [{ tools: [{ ...clock, name: 'has space' }] }, /tools\[0\]\.name must be 1 to 64 characters/],
      [{ tools: [{ ...clock, name: 'x'.repeat(65) }] }, /tools\[0\]\.name/],
      [{ tools: [clock, clock] }, /tools\[1\]\.name: "clock" is offered twice/],
      [{ tools: [{ ...clock, description: 7 }] }, /tools\[0\]\.description must be a string/],
      [{ tools: [{ ...clock, description: 'd'.repeat(MAX_TOOL_DESCRIPTION_CHARS + 1) }] }, /at most 8192 characters/],
      [{ tools: [{ ...clock, parameters: { type: 'string' } }] }, /tools\[0\]\.parameters must be a JSON schema of type "object"/],
      [{ tools: [{ ...clock, parameters: [] }] }, /tools\[0\]\.parameters/],
      [{ tools: [{ ...clock, parameters: { type: 'object', description: 'd'.repeat(MAX_TOOL_SCHEMA_BYTES) } }] }, /JSON of at most 65536 bytes/]
    ]
    for (const [more, message] of cases) expect(refusal(request(more as Partial<GenerateRequest>)).message, JSON.stringify(more).slice(0, 80)).to.match(message)
    const cyclic: Record<string, unknown> = { type: 'object' }
    cyclic.self = cyclic
    expect(refusal(request({ tools: [{ ...clock, parameters: cyclic }] })).message).to.match(/JSON of at most/)
  })

  it('should refuse a tool choice that is none of the four, or forces a tool not offered', () => {
    expect(refusal(request({ tools: [clock], toolChoice: 'always' as never }))).to.be.instanceOf(TypeError)
    expect(refusal(request({ tools: [clock], toolChoice: { name: 'weather__now' } })).message).to.equal('toolChoice names "weather__now", which is not one of the tools')
    expect(refusal(request({ toolChoice: 'required' })).message).to.equal('toolChoice "required" needs tools to call')
    expect(refusal(request({ tools: [], toolChoice: { name: 'clock' } }))).to.be.instanceOf(RangeError)
  })

  it('should refuse a tool turn that answers no open call of the assistant turn before it', () => {
    const asked: ChatTurn[] = [{ role: 'user', content: 'weather?' }, { role: 'assistant', content: '', toolCalls: [call] }]
    const cases: Array<[ChatTurn[], RegExp]> = [
      [[{ role: 'user', content: 'x' }, { role: 'tool', toolCallId: 'call_1', content: 'sun' }], /messages\[1\]: a tool turn answers a call of the assistant turn before it, and "call_1" is none/],
      [[...asked, { role: 'tool', toolCallId: 'call_9', content: 'sun' }], /messages\[2\]: .*"call_9"/],
      [[...asked, { role: 'tool', toolCallId: 'call_1', content: 'sun' }, { role: 'tool', toolCallId: 'call_1', content: 'again' }], /messages\[3\]/],
      [[...asked, { role: 'user', content: 'well?' }, { role: 'tool', toolCallId: 'call_1', content: 'late' }], /messages\[3\]/],
      [[...asked, { role: 'tool', content: 'sun' }], /messages\[2\]\.toolCallId must be the id of the call it answers/],
      [[{ role: 'user', content: 'x', toolCallId: 'call_1' }], /messages\[0\]\.toolCallId: only a tool turn answers a call/],
      [[{ role: 'user', content: 'x', toolCalls: [call] }], /messages\[0\]\.toolCalls: only an assistant turn calls tools/]
    ]
    for (const [messages, message] of cases) expect(refusal(request({}, messages)).message, JSON.stringify(messages).slice(0, 120)).to.match(message)
  })

  it('should refuse an assistant turn\'s calls that are not calls with arguments, naming the call', () => {
    const turn = (toolCalls: unknown): ChatTurn[] => [{ role: 'assistant', content: '', toolCalls: toolCalls as ChatTurn['toolCalls'] }]
    const cases: Array<[unknown, RegExp]> = [
      [{}, /messages\[0\]\.toolCalls must be a list/],
      [Array.from({ length: MAX_TOOL_CALLS_PER_TURN + 1 }, (_, i) => ({ ...call, id: `c${i}` })), /at most 64 calls/],
      [[{ ...call, id: '' }], /toolCalls\[0\]\.id must be 1 to 256 characters/],
      [[call, call], /toolCalls\[1\]\.id: "call_1" is used twice/],
      [[{ ...call, name: 'no such name!' }], /toolCalls\[0\]\.name must be a tool's name/],
      [[{ ...call, arguments: '{"city":"Oslo"}' }], /toolCalls\[0\]\.arguments must be a JSON object/],
      [[{ ...call, arguments: { text: 'x'.repeat(MAX_TOOL_ARGS_BYTES) } }], /at most 65536 bytes/]
    ]
    for (const [calls, message] of cases) expect(refusal(request({}, turn(calls))).message, JSON.stringify(calls).slice(0, 80)).to.match(message)
  })
})
