import { expect } from 'chai'
import { checkGenerateRequest } from '../../../runtimes/llama/check-generate-request.ts'
import { MAX_CACHE_KEY_LENGTH, MAX_STOP_LENGTH, MAX_STOP_STRINGS } from '../../../runtimes/llama/constants.ts'
import type { GenerateRequest, SamplingParams } from '../../../runtimes/runtime.ts'
import { thrown } from '../../helpers/thrown.ts'

const params: SamplingParams = { maxTokens: 8, temperature: 0.7, topP: 0.9, topK: 40 }
const ok: GenerateRequest = { input: { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'hi' }] }, params, cacheKey: 'agent/ann' }

describe('checkGenerateRequest', () => {
  it('should pass a well-formed chat request and a well-formed prompt request', () => {
    expect(() => { checkGenerateRequest(ok) }).to.not.throw()
    expect(() => { checkGenerateRequest({ input: { prompt: '' }, params: { ...params, seed: 3, stop: ['\n'] } }) }).to.not.throw()
  })

  it('should refuse sampling parameters out of range with a RangeError naming the parameter', () => {
    for (const [bad, message] of [
      [{ maxTokens: 0 }, /maxTokens must be an integer >= 1, got 0/],
      [{ maxTokens: 1.5 }, /maxTokens/],
      [{ temperature: -1 }, /temperature must be >= 0/],
      [{ temperature: Number.NaN }, /temperature/],
      [{ topP: 0 }, /topP must be in \(0, 1\]/],
      [{ topP: 1.1 }, /topP/],
      [{ topK: -1 }, /topK must be an integer >= 0/],
      [{ seed: -2 }, /seed must be an integer >= 0/]
    ] as const) {
      const err = thrown(() => { checkGenerateRequest({ ...ok, params: { ...params, ...bad } }) })
      expect(err, JSON.stringify(bad)).to.be.instanceOf(RangeError)
      expect(err.message).to.match(message)
    }
  })

  it('should refuse too many, empty or too long stop strings', () => {
    for (const stop of [Array.from({ length: MAX_STOP_STRINGS + 1 }, () => 'x'), [''], ['x'.repeat(MAX_STOP_LENGTH + 1)]]) {
      expect(thrown(() => { checkGenerateRequest({ ...ok, params: { ...params, stop } }) })).to.be.instanceOf(RangeError)
    }
    expect(() => { checkGenerateRequest({ ...ok, params: { ...params, stop: Array.from({ length: MAX_STOP_STRINGS }, () => 'x'.repeat(MAX_STOP_LENGTH)) } }) }).to.not.throw()
  })

  it('should refuse an empty or too long cache key', () => {
    expect(thrown(() => { checkGenerateRequest({ ...ok, cacheKey: '' }) }).message).to.match(/cacheKey must be a string of 1 to 512/)
    expect(thrown(() => { checkGenerateRequest({ ...ok, cacheKey: 'k'.repeat(MAX_CACHE_KEY_LENGTH + 1) }) })).to.be.instanceOf(RangeError)
  })

  it('should refuse an empty conversation, a turn of an unknown role and a prompt that is not text', () => {
    expect(thrown(() => { checkGenerateRequest({ ...ok, input: { messages: [] } }) }).message).to.equal('messages must be a non-empty list of chat turns')
    const role = thrown(() => { checkGenerateRequest({ ...ok, input: { messages: [{ role: 'function', content: 'x' }] } } as unknown as GenerateRequest) })
    expect(role).to.be.instanceOf(TypeError)
    expect(role.message).to.match(/a chat turn must be .*"function"/)
    expect(thrown(() => { checkGenerateRequest({ ...ok, input: { prompt: 7 } } as unknown as GenerateRequest) }).message).to.equal('prompt must be a string, got number')
  })

  it('should check tools as every runtime does, and refuse a forced call of a schema the grammar cannot enforce', () => {
    const tool = { name: 'code__check', description: '', parameters: { type: 'object', properties: { code: { type: 'string', pattern: '^A' } } } }
    expect(() => { checkGenerateRequest({ ...ok, tools: [tool], toolChoice: 'auto' }) }).to.not.throw()
    for (const toolChoice of ['required', { name: 'code__check' }] as const) {
      const err = thrown(() => { checkGenerateRequest({ ...ok, tools: [tool], toolChoice }) })
      expect(err.name).to.equal('UnsupportedToolSchemaError')
      expect(err.message).to.match(/tool "code__check": parameters\.properties\.code uses "pattern"/)
    }
    // malformed whatever the choice, and the runtime-neutral checks apply
    expect(thrown(() => { checkGenerateRequest({ ...ok, tools: [{ ...tool, parameters: { type: 'object', properties: { a: { type: 'text' } } } }], toolChoice: 'none' }) }).name).to.equal('UnsupportedToolSchemaError')
    expect(thrown(() => { checkGenerateRequest({ ...ok, tools: [tool], toolChoice: { name: 'other' } }) })).to.be.instanceOf(RangeError)
    expect(thrown(() => { checkGenerateRequest({ ...ok, input: { messages: [{ role: 'tool', content: 'x', toolCallId: 'c' }] } }) }).message).to.match(/a tool turn answers a call/)
  })

  it('should refuse tools with a raw prompt, which no chat wrapper writes them into', () => {
    const tool = { name: 'clock', description: '', parameters: { type: 'object' } }
    expect(thrown(() => { checkGenerateRequest({ input: { prompt: 'x' }, params, tools: [tool] }) }).message).to.equal('tools need chat messages, not a raw prompt')
    expect(() => { checkGenerateRequest({ input: { prompt: 'x' }, params, tools: [] }) }).to.not.throw()
  })
})
