/**
 * Tool calling through the OpenAI-compatible endpoint of a real node process (llama.cpp on the
 * generated test model), driven by the official `openai` client: a forced call, a required one,
 * auto and none, a tool's result sent back and answered, streaming, and bad inputs, each refused
 * 400 naming the field with nothing run. A second member without the model loaded forwards a call
 * to the one that has it (warm forwarding carries the tools across the wire).
 */
import { expect } from 'chai'
import { Ajv } from 'ajv'
import OpenAI from 'openai'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { MemberRow, NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

const MODEL = 'plexi-tiny-f16'
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--openai-listen', '127.0.0.1:0']
const ajv = new Ajv({ strict: false, strictNumbers: true })

const WEATHER: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'weather__forecast',
    description: 'The forecast for a city',
    parameters: { type: 'object', properties: { city: { type: 'string', minLength: 1, maxLength: 24 }, days: { type: 'integer' }, units: { enum: ['c', 'f'] } }, required: ['city'], additionalProperties: false }
  }
}
const CLOCK: OpenAI.ChatCompletionFunctionTool = { type: 'function', function: { name: 'clock__now', description: 'The time now', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } } } } }
const TOOLS = [WEATHER, CLOCK]
const asked: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Will it rain in Lyon this week?' }]

/** The one call of a completion, checked against its tool's schema. */
function theCall (completion: OpenAI.ChatCompletion): OpenAI.ChatCompletionMessageFunctionToolCall {
  const calls = completion.choices[0]?.message.tool_calls ?? []
  expect(calls).to.have.length(1)
  const call = calls[0]
  if (call?.type !== 'function') throw new Error('expected a function call')
  const tool = TOOLS.find((t) => t.function.name === call.function.name)
  expect(ajv.validate(tool?.function.parameters ?? false, JSON.parse(call.function.arguments)), call.function.arguments).to.equal(true)
  return call
}

describe('tool calling through the OpenAI endpoint (real node processes, the official openai client)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()
  let a: NodeSlot
  let client: OpenAI

  const openaiUrl = (slot: NodeSlot): string => {
    const url = slot.node.logs.find((l) => typeof l.openai === 'string')?.openai
    if (typeof url !== 'string') throw new Error('the ready line names no OpenAI address')
    return url
  }
  const requests = async (slot: NodeSlot): Promise<string[]> =>
    (await cluster.metrics(slot)).split('\n').filter((line) => line.startsWith('plexi_inference_requests_total'))

  before(async () => {
    await cluster.start([{ roles: 'ai,chat,storage', args: INFERENCE }, { roles: 'ai,chat,storage', args: INFERENCE }])
    a = cluster.slots[0] as NodeSlot
    client = new OpenAI({ baseURL: openaiUrl(a), apiKey: await cluster.addUser('carol', a), maxRetries: 0, timeout: 120_000 })
  })

  after(async () => {
    await cluster.close()
  })

  it('should call the forced tool, and a tool when one is required, with arguments that validate', async () => {
    for (let seed = 0; seed < 3; seed++) {
      const forced = await client.chat.completions.create({ model: MODEL, messages: asked, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'weather__forecast' } }, seed, max_tokens: 600 })
      expect(forced.choices[0]?.finish_reason).to.equal('tool_calls')
      expect(forced.choices[0]?.message.content).to.equal(null)
      expect(theCall(forced).function.name).to.equal('weather__forecast')
      expect(forced.usage?.completion_tokens).to.be.above(0)
      const required = await client.chat.completions.create({ model: MODEL, messages: asked, tools: TOOLS, tool_choice: 'required', seed, max_tokens: 600 })
      expect(required.choices[0]?.finish_reason).to.equal('tool_calls')
      expect(TOOLS.map((t) => t.function.name)).to.include(theCall(required).function.name)
    }
  })

  it('should answer in text with tool choice auto when the model calls nothing, and with none', async () => {
    for (const choice of ['auto', 'none'] as const) {
      const answer = await client.chat.completions.create({ model: MODEL, messages: asked, tools: TOOLS, tool_choice: choice, max_tokens: 16, temperature: 0 })
      expect(answer.choices[0]?.finish_reason, choice).to.equal('length')
      expect(answer.choices[0]?.message.content).to.have.length(16)
      expect(answer.choices[0]?.message.tool_calls).to.equal(undefined)
    }
    // an answer that stopped at the call's opening: with auto the model goes on with the call
    const opened = await client.chat.completions.create({ model: MODEL, messages: [...asked, { role: 'assistant', content: '||call: ' }], tools: TOOLS, max_tokens: 600, seed: 1 })
    expect(opened.choices[0]?.finish_reason).to.equal('tool_calls')
    theCall(opened)
  })

  it('should take the call and the tool\'s result back and answer after them, streamed', async () => {
    const first = await client.chat.completions.create({ model: MODEL, messages: asked, tools: TOOLS, tool_choice: 'required', max_tokens: 600, temperature: 0 })
    const message = first.choices[0]?.message
    const call = theCall(first)
    if (message === undefined) throw new Error('expected a message')
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [...asked, message, { role: 'tool', tool_call_id: call.id, content: '{"rain": true}' }],
      tools: TOOLS,
      max_tokens: 12,
      temperature: 0,
      stream: true
    })
    let text = ''
    let finish: string | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      expect(chunk.choices[0]?.delta.tool_calls).to.equal(undefined)
    }
    expect(text).to.have.length(12)
    expect(finish).to.equal('length')
  })

  it('should stream a forced call as tool call deltas the client joins into the call', async () => {
    const request = { model: MODEL, messages: asked, tools: TOOLS, tool_choice: { type: 'function' as const, function: { name: 'clock__now' } }, max_tokens: 600, temperature: 0 }
    const whole = await client.chat.completions.create(request)
    const final = await client.chat.completions.stream(request).finalChatCompletion()
    expect(final.choices[0]?.finish_reason).to.equal('tool_calls')
    const [streamed, answered] = [final.choices[0]?.message.tool_calls?.[0], whole.choices[0]?.message.tool_calls?.[0]]
    if (streamed?.type !== 'function' || answered?.type !== 'function') throw new Error('expected function calls')
    expect(streamed.function).to.deep.equal(answered.function)
  })

  it('should refuse bad inputs 400 naming the field, running nothing', async () => {
    const before = await requests(a)
    const calling: OpenAI.ChatCompletionAssistantMessageParam = { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'clock__now', arguments: '{"zone": ' } }] }
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ tools: [{ type: 'function', function: { name: 'no spaces allowed' } }] }, 'tools[0].function.name'],
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] }, 'tools[0].function.parameters.type'],
      [{ tools: [CLOCK, CLOCK] }, 'tools[1].function.name'],
      [{ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'calendar__add' } } }, 'tool_choice'],
      [{ tools: TOOLS, tool_choice: 'sometimes' }, 'tool_choice'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ messages: [...asked, { role: 'tool', tool_call_id: 'call_9', content: 'x' }] }, 'messages[1].tool_call_id'],
      [{ messages: [...asked, calling] }, 'messages[1].tool_calls[0].function.arguments'],
      [{ tools: [{ type: 'function', function: { name: 'code__check', parameters: { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]+$' } } } } }], tool_choice: 'required' }, 'tools'],
      [{ model: 'agent', tools: TOOLS }, 'tools']
    ]
    for (const [change, param] of cases) {
      const err = await client.chat.completions.create({ model: MODEL, messages: asked, max_tokens: 8, ...change } as never).then(() => undefined, (e: unknown) => e)
      expect(err, param).to.be.instanceOf(OpenAI.BadRequestError)
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param, JSON.stringify(change).slice(0, 100)).to.equal(param)
    }
    // the schema the grammar cannot enforce reached the model's runtime and was refused there (one
    // error); no answer was generated, the rest never reached the model
    const after = await requests(a)
    const count = (lines: string[], outcome: string): number => Number(lines.find((line) => line.includes(`outcome="${outcome}"`))?.split(' ').at(-1) ?? 0)
    for (const outcome of ['eos', 'max-tokens', 'tool-calls', 'cancelled', 'context-full']) expect(count(after, outcome), outcome).to.equal(count(before, outcome))
    expect(count(after, 'error') - count(before, 'error')).to.equal(1)
  })

  it('should have a member without the model loaded forward a call to the one that has it', async () => {
    const b = cluster.slots[1] as NodeSlot
    await cluster.api(a, `/models/${MODEL}/load`, { method: 'POST' })
    const warm = async (): Promise<boolean> => ((await cluster.api<MemberRow[]>(b, '/nodes')).find((m) => m.peerId === a.peerId) as { models?: string[] } | undefined)?.models?.includes(MODEL) === true
    await waitFor(warm, 'B to see A with the model loaded', { timeout: 20_000, interval: 50 })
    const onB = new OpenAI({ baseURL: openaiUrl(b), apiKey: await cluster.addUser('dave', b), maxRetries: 0, timeout: 120_000 })
    const forced = await onB.chat.completions.create({ model: MODEL, messages: asked, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'weather__forecast' } }, max_tokens: 600, temperature: 0 })
    expect(theCall(forced).function.name).to.equal('weather__forecast')
    expect(await cluster.metrics(b)).to.match(new RegExp(`plexi_inference_forwarded_total\\{model="${MODEL}",direction="sent"\\} 1`))
  })
})
