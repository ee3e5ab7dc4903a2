import { expect } from 'chai'
import { InferenceService, ModelNotWarmError, UsageLimiter } from '../../../node/inference/index.ts'
import type { InferenceServiceDeps } from '../../../node/inference/index.ts'
import { ModelRegistry } from '../../../runtimes/index.ts'
import type { GenerateRequest, GenerateResult } from '../../../runtimes/index.ts'
import { TinyModel } from './fixtures/tiny-model.ts'

const SAMPLING = { maxTokens: 4, temperature: 0, topP: 1, topK: 0 }
const CLOCK = { name: 'clock__now', description: 'The time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } } } }

describe('InferenceService (real llama.cpp on the generated model)', function () {
  this.timeout(120_000)
  const tiny = new TinyModel()
  before(async () => { await tiny.start() })
  after(async () => { await tiny.close() })

  const service = (over: Partial<InferenceServiceDeps> = {}): { service: InferenceService, errors: string[] } => {
    const errors: string[] = []
    const s = new InferenceService({
      registry: tiny.registry,
      manager: tiny.manager,
      limiter: new UsageLimiter({ requestsPerMin: 100, tokensPerMin: 1_000_000 }),
      onError: (model, err) => { errors.push(`${model}: ${(err as Error).name}`) },
      ...over
    })
    return { service: s, errors }
  }

  it('should take the configured default model, else the first ready one by name, and refuse a model it has not', () => {
    expect(service().service.defaultModel()).to.equal('tiny')
    expect(service({ defaultModel: 'other' }).service.defaultModel()).to.equal('other')
    const { service: s } = service()
    expect(() => { s.checkModel('nope') }).to.throw(/no model named nope/).with.property('name', 'UnknownModelError')
    s.checkModel('tiny')
  })

  it('should say there is no model when none is ready', async () => {
    const empty = new ModelRegistry(tiny.dir)
    await empty.scan()
    expect(() => service({ registry: empty }).service.defaultModel()).to.throw(/no usable model in/).with.property('name', 'NoModelError')
  })

  it('should run a completion here, stream its tokens, and charge the user\'s tokens', async () => {
    const limiter = new UsageLimiter({ requestsPerMin: 100, tokensPerMin: 1_000_000 })
    const { service: s } = service({ limiter })
    const tokens: string[] = []
    const result = await s.complete('ann', 'tiny', [{ role: 'user', content: 'Hello?' }], SAMPLING, (t) => { tokens.push(t) })
    expect(result.completionTokens).to.equal(4)
    expect(tokens.join('')).to.equal(result.text)
    // the agent's door answers with the model it used
    const answer = await s.generate('ann', '', { messages: [{ role: 'user', content: 'Again?' }], sampling: SAMPLING }, () => undefined, { signal: new AbortController().signal, onQueued: () => undefined, cacheKey: 'agent/ann' })
    expect(answer).to.include({ model: 'tiny', completionTokens: 4 })
  })

  it('should pass tools and the tool choice to the model, and its call back, for the endpoint and for agents', async () => {
    const { service: s } = service()
    const forced = await s.complete('ann', 'tiny', [{ role: 'user', content: 'Time?' }], { ...SAMPLING, maxTokens: 200 }, () => undefined, { tools: [CLOCK], toolChoice: { name: 'clock__now' } })
    expect(forced.stopReason).to.equal('tool-calls')
    expect(forced.toolCalls?.[0]?.name).to.equal('clock__now')
    // an agent's prompt carries them once the agent has tools
    const prompt = { messages: [{ role: 'user' as const, content: 'Time?' }], sampling: { ...SAMPLING, maxTokens: 200 }, tools: [CLOCK], toolChoice: 'required' as const }
    const answer = await s.generate('ann', '', prompt, () => undefined, { signal: new AbortController().signal, onQueued: () => undefined, cacheKey: 'agent/ann' })
    expect(answer).to.deep.include({ model: 'tiny', stopReason: 'tool-calls' })
    expect((answer as { toolCalls?: unknown[] }).toolCalls).to.have.length(1)
    const plain = await s.generate('ann', '', { messages: prompt.messages, sampling: SAMPLING }, () => undefined, { signal: new AbortController().signal, onQueued: () => undefined, cacheKey: 'agent/ann' })
    expect(plain).to.not.have.property('toolCalls')
  })

  it('should refuse a user over their limits before running anything, counting the error', async () => {
    const { service: s, errors } = service({ limiter: new UsageLimiter({ requestsPerMin: 1, tokensPerMin: 1_000_000 }) })
    await s.complete('bob', 'tiny', [{ role: 'user', content: 'one' }], SAMPLING, () => undefined)
    const err = await s.complete('bob', 'tiny', [{ role: 'user', content: 'two' }], SAMPLING, () => undefined).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('RateLimitedError')
    expect(errors).to.deep.equal([])
  })

  it('should hand a request to a member with the model warm, and run it here when that member would not take it', async () => {
    const forwarded: string[] = []
    const requests: GenerateRequest[] = []
    const warm = (answer: (peer: string) => Promise<GenerateResult>): InferenceServiceDeps['forwarding'] => ({
      warmPeer: (model, key) => `peer-for-${model}-${key}`,
      generate: async (peer: string, _user: string, _model: string, request: GenerateRequest, onText: (t: string) => void) => {
        forwarded.push(peer)
        requests.push(request)
        onText('far')
        return await answer(peer)
      }
    })
    const there: GenerateResult = { text: 'far', stopReason: 'eos', promptTokens: 3, completionTokens: 1, droppedTurns: 0, ttftMs: 1, durationMs: 2 }
    const { service: s } = service({ forwarding: warm(async () => there) })
    expect(await s.complete('ann', 'tiny', [{ role: 'user', content: 'hi' }], SAMPLING, () => undefined, { cacheKey: 'agent/ann' })).to.equal(there)
    expect(requests.at(-1)).to.not.have.any.keys('tools', 'toolChoice')
    await s.complete('ann', 'tiny', [{ role: 'user', content: 'hi' }], SAMPLING, () => undefined, { cacheKey: 'agent/ann', tools: [CLOCK], toolChoice: 'auto' })
    expect(requests.at(-1)).to.deep.include({ tools: [CLOCK], toolChoice: 'auto', cacheKey: 'agent/ann' })
    const { service: busy } = service({ forwarding: warm(async () => { throw new ModelNotWarmError('no free slot') }) })
    const local = await busy.complete('ann', 'tiny', [{ role: 'user', content: 'hi' }], SAMPLING, () => undefined)
    expect(local.completionTokens).to.equal(4)
    const { service: down, errors } = service({ forwarding: warm(async () => { throw new Error('member went down') }) })
    const err = await down.complete('ann', 'tiny', [{ role: 'user', content: 'hi' }], SAMPLING, () => undefined).then(() => undefined, (e: Error) => e)
    expect(err?.message).to.equal('member went down')
    expect(errors).to.deep.equal(['tiny: Error'])
    expect(forwarded).to.deep.equal(['peer-for-tiny-agent/ann', 'peer-for-tiny-agent/ann', 'peer-for-tiny-ann', 'peer-for-tiny-ann'])
  })
})
