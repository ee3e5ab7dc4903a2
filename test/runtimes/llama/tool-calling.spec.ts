/**
 * Tool calling through LlamaRuntime (Piscina worker, real llama.cpp, the generated test model):
 * requests and results cross the worker as plain data. The test model's weights are random, so
 * only the grammar makes a forced call's arguments valid: proved here over many seeds, prompts and
 * schemas, each call checked with ajv against the schema as given.
 */
import { expect } from 'chai'
import { Ajv } from 'ajv'
import type { ToolChoice } from '../../../protocols/index.ts'
import type { LlamaRuntime } from '../../../runtimes/llama/llama-runtime.ts'
import type { ChatTurn, GenerateRequest, GenerateResult, SamplingParams, ToolDefinition } from '../../../runtimes/runtime.ts'
import { SYSTEM, model, runtime } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

/** RFC 3339 dates, checked by the calendar (not by the code under test). */
const isDate = (s: string): boolean => /^\d{4}-\d\d-\d\d$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s
const isTime = (s: string): boolean => /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/.test(s)
const ajv = new Ajv({ strict: false, strictNumbers: true, formats: { date: isDate, time: isTime, 'date-time': (s: string) => isDate(s.slice(0, 10)) && s[10] === 'T' && isTime(s.slice(11)) } })

const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'weather__forecast',
    description: 'The forecast for a city',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 2, maxLength: 30, description: 'The city' },
        days: { type: 'integer' },
        units: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        from: { type: 'string', format: 'date' }
      },
      required: ['city'],
      additionalProperties: false
    }
  },
  {
    name: 'calendar__add',
    description: 'Adds an event',
    parameters: {
      type: 'object',
      properties: {
        title: { type: 'string', maxLength: 40 },
        at: { type: 'string', format: 'date-time' },
        attendees: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 3 },
        note: { anyOf: [{ type: 'string', maxLength: 20 }, { type: 'null' }] },
        private: { type: 'boolean' }
      },
      required: ['title', 'at']
    }
  },
  {
    name: 'calc__eval',
    description: 'Evaluates arithmetic',
    parameters: {
      type: 'object',
      properties: {
        terms: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 4 },
        op: { const: 'sum' },
        precision: { type: ['integer', 'null'] },
        options: { $ref: '#/$defs/options' }
      },
      $defs: { options: { type: 'object', properties: { round: { type: 'boolean' }, at: { type: 'string', format: 'time' } } } }
    }
  },
  { name: 'clock__now', description: 'The time now', parameters: { type: 'object', properties: {} } }
]

const sampled = (maxTokens: number, seed?: number): SamplingParams => ({ maxTokens, temperature: seed === undefined ? 0 : 1, topP: 1, topK: 0, ...(seed !== undefined && { seed }) })
const asking = (n: number): ChatTurn[] => [SYSTEM, { role: 'user', content: `Request ${n}: ${['plan my week', 'what is 2+2?', 'is it raining in Lyon?', 'remind me tomorrow'][n % 4]}` }]

describe('LlamaRuntime tool calling', function () {
  this.timeout(300_000)
  let dir: { path: string, remove: () => Promise<void> }
  let rt: LlamaRuntime

  before(async () => {
    dir = await tempDir()
    rt = runtime(await model(dir.path, 'tiny'), { contextSize: 4096 })
    await rt.load()
  })

  after(async () => {
    await rt?.unload()
    await dir?.remove()
  })

  /** Runs `request`; requests without a cache key of their own share one, so that the tools'
   * documentation at the head of every prompt is evaluated once. */
  async function generate (request: GenerateRequest): Promise<GenerateResult & { streamed: string }> {
    let streamed = ''
    const result = await rt.generate({ cacheKey: 'spec', ...request }, (text) => { streamed += text })
    return { ...result, streamed }
  }

  it('should make every forced or required call\'s arguments validate against the tool\'s schema, over seeds, prompts and schemas', async () => {
    const choices: ToolChoice[] = [...TOOLS.map((tool) => ({ name: tool.name })), 'required']
    const called = new Set<string>()
    for (const choice of choices) {
      for (let seed = 0; seed < 8; seed++) {
        const out = await generate({ input: { messages: asking(seed) }, params: sampled(1500, seed), tools: TOOLS, toolChoice: choice })
        const where = `${JSON.stringify(choice)} seed ${seed}`
        expect(out.stopReason, where).to.equal('tool-calls')
        expect(out.text, where).to.equal('')
        expect(out.streamed, where).to.equal('')
        expect(out.toolCalls, where).to.have.length(1)
        const call = out.toolCalls?.[0]
        const tool = TOOLS.find((t) => t.name === call?.name)
        if (typeof choice === 'object') expect(call?.name, where).to.equal(choice.name)
        expect(tool, where).to.not.equal(undefined)
        expect(ajv.validate(tool?.parameters ?? false, call?.arguments), `${where}: ${JSON.stringify(call?.arguments)} ${ajv.errorsText()}`).to.equal(true)
        called.add(call?.name ?? '')
      }
    }
    expect(called.size).to.equal(TOOLS.length)
  })

  it('should answer in text with tool choice auto when the model opens no call, as it would without tools', async () => {
    for (let seed = 0; seed < 3; seed++) {
      // both evaluate the whole prompt: a batch of tokens and one token at a time round differently,
      // which at temperature 1 can pick another token
      const out = await generate({ input: { messages: asking(seed) }, params: sampled(48, seed), tools: TOOLS, toolChoice: 'auto', cacheKey: undefined })
      expect(out.toolCalls, `seed ${seed}`).to.equal(undefined)
      expect(['eos', 'max-tokens']).to.include(out.stopReason)
      expect(out.streamed).to.equal(out.text)
      // tool choice none shows the model the same prompt and holds it to nothing
      const none = await generate({ input: { messages: asking(seed) }, params: sampled(48, seed), tools: TOOLS, toolChoice: 'none', cacheKey: undefined })
      expect(none).to.deep.include({ text: out.text, stopReason: out.stopReason })
    }
  })

  it('should parse the call the model makes with tool choice auto, and ignore tools with tool choice none', async () => {
    // an answer that stopped at the call's opening: the model goes on with the call
    const opened: ChatTurn[] = [...asking(1), { role: 'assistant', content: '||call: ' }]
    for (let seed = 0; seed < 4; seed++) {
      const out = await generate({ input: { messages: opened }, params: sampled(1500, seed), tools: TOOLS })
      expect(out.stopReason).to.equal('tool-calls')
      const call = out.toolCalls?.[0]
      expect(TOOLS.map((t) => t.name)).to.include(call?.name)
      expect(call?.arguments).to.be.an('object')
    }
    const none = await generate({ input: { messages: opened }, params: sampled(16), tools: TOOLS, toolChoice: 'none' })
    expect(none.toolCalls).to.equal(undefined)
    expect(none.text).to.have.length.above(0)
  })

  it('should take the call and its result back, answer after them, and reuse the KV cache of the call', async () => {
    const messages = asking(2)
    const first = await generate({ input: { messages }, params: sampled(1500, 5), tools: TOOLS, toolChoice: { name: 'weather__forecast' }, cacheKey: 'agent/tools' })
    const call = first.toolCalls?.[0]
    if (call === undefined) throw new Error('expected a call')
    const round: ChatTurn[] = [...messages, { role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', toolCallId: call.id, content: '{"forecast": "sun"}' }]
    const second = await generate({ input: { messages: round }, params: sampled(24), tools: TOOLS, cacheKey: 'agent/tools' })
    expect(second.toolCalls).to.equal(undefined)
    expect(second.text).to.have.length.above(0)
    expect(second.cache?.source).to.equal('memory')
    // the first prompt, and the call's opening and name the model was put to, come from the cache
    expect(second.cache?.reusedTokens).to.be.at.least(first.promptTokens + '||call: weather__forecast('.length)
    expect(second.promptTokens).to.be.above(second.cache?.reusedTokens ?? Infinity)
  })

  it('should refuse a forced call of a tool whose schema the grammar cannot enforce, and take it with tool choice auto', async () => {
    const strict: ToolDefinition = { name: 'code__check', description: '', parameters: { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } } } }
    const err = await rejection(async () => await rt.generate({ input: { messages: asking(0) }, params: sampled(40), tools: [strict], toolChoice: 'required' }, () => {}))
    expect(err.name).to.equal('UnsupportedToolSchemaError')
    expect(err.message).to.match(/tool "code__check": parameters\.properties\.code uses "pattern"/)
    const auto = await generate({ input: { messages: asking(0) }, params: sampled(8), tools: [strict], toolChoice: 'auto' })
    expect(auto.stopReason).to.equal('max-tokens')
    // a malformed request is refused before it reaches a worker
    const orphan = await rejection(async () => await rt.generate({ input: { messages: [...asking(0), { role: 'tool', toolCallId: 'c', content: 'x' }] }, params: sampled(8) }, () => {}))
    expect(orphan).to.be.instanceOf(RangeError)
  })
})
