import { expect } from 'chai'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { Ajv } from 'ajv'
import { GeneralChatWrapper, getLlama } from 'node-llama-cpp'
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { ArgumentValidators } from '../../../runtimes/llama/argument-validators.ts'
import { CallSyntax } from '../../../runtimes/llama/call-syntax.ts'
import { Generation } from '../../../runtimes/llama/generation.ts'
import type { Generated, ToolPlan } from '../../../runtimes/llama/generation.ts'
import type { LlamaStreamMessage } from '../../../runtimes/llama/llama-protocol.ts'
import { RequestPort } from '../../../runtimes/llama/request-port.ts'
import { ToolGrammars } from '../../../runtimes/llama/tool-grammars.ts'
import { grammarSchema } from '../../../runtimes/llama/tool-schema.ts'
import type { SamplingParams, ToolDefinition } from '../../../runtimes/runtime.ts'
import { model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const WEATHER: ToolDefinition = {
  name: 'weather__now',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 24 }, days: { type: 'integer' }, units: { enum: ['c', 'f'] } }, required: ['city'] }
}
const ADD: ToolDefinition = { name: 'calc__add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } }
const sampling = (maxTokens: number, seed?: number): SamplingParams => ({ maxTokens, temperature: seed === undefined ? 0 : 1, topP: 1, topK: 0, ...(seed !== undefined && { seed }) })

/** The general wrapper with its call opened by `prefix` (and no other way). */
function opensWith (prefix: string): ChatWrapper {
  const wrapper = new GeneralChatWrapper()
  const { functions } = wrapper.settings
  return Object.assign(wrapper, { settings: { ...wrapper.settings, functions: { ...functions, call: { ...functions.call, prefix, prefixAlternateMatches: [] } } } })
}

describe('Generation', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let llama: Llama
  let loaded: LlamaModel
  let context: LlamaContext
  let sequence: LlamaContextSequence
  let grammars: ToolGrammars
  const validators = new ArgumentValidators()
  const ajv = new Ajv({ strict: false, strictNumbers: true })

  before(async () => {
    dir = await tempDir()
    const tiny = await model(dir.path, 'tiny')
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never })
    loaded = await llama.loadModel({ modelPath: tiny.file })
    context = await loaded.createContext({ contextSize: 512, threads: 1, sequences: 1 })
    sequence = context.getSequence()
    grammars = new ToolGrammars(llama)
  })

  after(async () => {
    await context?.dispose()
    await loaded?.dispose()
    await llama?.dispose()
    await dir?.remove()
  })

  const prompt = (text: string): Token[] => [...(loaded.tokens.bos === null ? [] : [loaded.tokens.bos]), ...loaded.tokenize(text)]

  function plan (choice: ToolPlan['choice'], tools: readonly ToolDefinition[], more: Partial<ToolPlan> = {}): ToolPlan {
    const strict = choice !== 'auto'
    return {
      choice,
      syntax: new CallSyntax(new GeneralChatWrapper(), loaded),
      tools: tools.map((tool) => ({ tool, schema: grammarSchema(tool, strict) })),
      primed: false,
      grammars,
      ...(strict && { check: (tool, args) => { validators.check(tool, args) } }),
      ...more
    }
  }

  /** Generates from an empty context; what was posted on the port comes back too. */
  async function generate (input: Token[], params: SamplingParams, toolPlan?: ToolPlan, options: { cancel?: boolean, stops?: string[], contextSize?: number } = {}): Promise<Generated & { posted: string }> {
    await sequence.clearHistory()
    const { port1, port2 } = new MessageChannel()
    if (options.cancel === true) port1.postMessage({ type: 'cancel' })
    const port = new RequestPort(port2, 0)
    try {
      port.readControl()
      const generation = new Generation(loaded, sequence, port, { params, contextSize: options.contextSize ?? 512, used: 0 })
      const generated = await generation.run(input, options.stops ?? [], toolPlan)
      port.flush()
      return { ...generated, posted: posted(port1) }
    } finally {
      port.close()
      port1.close()
    }
  }

  it('should stream text and stop at maxTokens without tools', async () => {
    const out = await generate(prompt('The plexi node says'), sampling(10))
    expect(out).to.include({ stopReason: 'max-tokens', completionTokens: 10 })
    expect(out.posted).to.have.length(10)
    expect(out.toolCalls).to.equal(undefined)
  })

  it('should call the forced tool with arguments that validate, for every seed, posting no text', async () => {
    for (let seed = 0; seed < 6; seed++) {
      const out = await generate(prompt(`Weather ${seed}?`), sampling(400, seed), plan({ name: 'weather__now' }, [WEATHER, ADD]))
      expect(out.stopReason, `seed ${seed}`).to.equal('tool-calls')
      expect(out.posted).to.equal('')
      const call = out.toolCalls?.[0]
      expect(out.toolCalls).to.have.length(1)
      expect(call?.name).to.equal('weather__now')
      expect(call?.id).to.match(/^call_[0-9a-f]{24}$/)
      expect(ajv.validate(WEATHER.parameters, call?.arguments), JSON.stringify(call?.arguments)).to.equal(true)
      // the context holds the call as the wrapper writes it, up to its arguments' closing brace
      const written = loaded.detokenize(sequence.contextTokens.slice(prompt(`Weather ${seed}?`).length))
      expect(written).to.match(/^\|\|call: weather__now\(\{/)
      expect(JSON.parse(written.slice(written.indexOf('(') + 1))).to.deep.equal(call?.arguments)
    }
  })

  it('should let the model pick the tool when one is required, under a grammar of their names', async () => {
    const names = new Set<string>()
    for (let seed = 0; seed < 6; seed++) {
      const out = await generate(prompt('Do something.'), sampling(400, seed), plan('required', [WEATHER, ADD]))
      expect(out.stopReason).to.equal('tool-calls')
      const call = out.toolCalls?.[0]
      const tool = [WEATHER, ADD].find((t) => t.name === call?.name)
      expect(tool, call?.name).to.not.equal(undefined)
      expect(ajv.validate(tool?.parameters ?? {}, call?.arguments)).to.equal(true)
      names.add(call?.name ?? '')
    }
    expect(names.size).to.be.at.least(1)
  })

  it('should see the model open a call in its text with tool choice auto, keep the text before it, and sample the call', async () => {
    const input = prompt('Tell me a story.')
    const free = await generate(input, sampling(60))
    // the general wrapper's opening as some text the model writes greedily here, from its 20th character
    const opening = free.posted.slice(20, 24)
    const before = free.posted.slice(0, free.posted.indexOf(opening))
    const syntax = new CallSyntax(opensWith(opening), loaded)
    const out = await generate(input, sampling(400), plan('auto', [ADD], { syntax }), { stops: ['NEVER SAID'] })
    expect(out.stopReason).to.equal('tool-calls')
    expect(out.posted).to.equal(before)
    expect(out.toolCalls?.[0]?.name).to.equal('calc__add')
    expect(ajv.validate(ADD.parameters, out.toolCalls?.[0]?.arguments)).to.equal(true)
    // what the model sampled from the opening on left the context: the opening and the call took its place
    const written = loaded.detokenize(sequence.contextTokens.slice(input.length))
    expect(written.startsWith(`${before}${opening}`)).to.equal(true)
    expect(written.slice(before.length + opening.length)).to.match(/^ ?calc__add\(\{.*\}$/s)
  })

  it('should answer as without tools when the model opens no call with tool choice auto', async () => {
    const input = prompt('Tell me a story.')
    const free = await generate(input, sampling(40))
    const out = await generate(input, sampling(40), plan('auto', [ADD]))
    expect(out).to.deep.include({ stopReason: 'max-tokens', posted: free.posted })
    expect(out.toolCalls).to.equal(undefined)
  })

  it('should go on with the name when the prompt already opens a call', async () => {
    const out = await generate(prompt('### Assistant\n||call: '), sampling(400, 3), plan('auto', [WEATHER, ADD], { primed: true }))
    expect(out.stopReason).to.equal('tool-calls')
    expect(['weather__now', 'calc__add']).to.include(out.toolCalls?.[0]?.name)
  })

  it('should end without a call when maxTokens, the context or a cancel comes first', async () => {
    const short = await generate(prompt('Weather?'), sampling(3), plan({ name: 'weather__now' }, [WEATHER]))
    expect(short).to.deep.include({ stopReason: 'max-tokens', completionTokens: 3, posted: '' })
    expect(short.toolCalls).to.equal(undefined)
    // the call's opening itself does not fit
    const full = await generate(prompt('x'.repeat(40)), sampling(400), plan({ name: 'weather__now' }, [WEATHER]), { contextSize: 50 })
    expect(full).to.deep.include({ stopReason: 'context-full', completionTokens: 0 })
    const cancelled = await generate(prompt('Weather?'), sampling(400), plan({ name: 'weather__now' }, [WEATHER]), { cancel: true })
    expect(cancelled).to.deep.include({ stopReason: 'cancelled', completionTokens: 0 })
    expect(cancelled.toolCalls).to.equal(undefined)
  })
})

function posted (port: MessagePort): string {
  let text = ''
  for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) text += (entry.message as LlamaStreamMessage).text
  return text
}
