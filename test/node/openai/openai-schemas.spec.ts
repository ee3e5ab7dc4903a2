import { expect } from 'chai'
import { Ajv } from 'ajv'
import { chatCompletionBody, errorResponse, errorResponses } from '../../../node/openai/openai-schemas.ts'
import { MAX_STOP_SEQUENCES } from '../../../node/openai/constants.ts'

describe('openai schemas', () => {
  const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: false, allowUnionTypes: true })
  const valid = ajv.compile(chatCompletionBody(100))
  const ok = { model: 'tiny', messages: [{ role: 'user', content: 'hi' }] }

  it('should take a body as OpenAI clients send it, null for what is not given and fields it does not know, when they are well formed', () => {
    for (const body of [
      ok,
      { ...ok, stream: null, max_tokens: null, temperature: null, stop: null, user: 'someone', logit_bias: {} },
      { ...ok, messages: [{ role: 'system', content: [{ type: 'text', text: 'a' }] }], stream: true, stream_options: { include_usage: true }, max_tokens: 100, stop: ['x'], n: 1 },
      // tools, a call and its result, as the official client sends them back
      {
        ...ok,
        messages: [
          { role: 'user', content: 'time?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'clock__now', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'noon' }
        ],
        tools: [{ type: 'function', function: { name: 'clock__now', description: 'The time', parameters: { type: 'object', properties: {} }, strict: false } }],
        tool_choice: { type: 'function', function: { name: 'clock__now' } },
        parallel_tool_calls: false
      },
      { ...ok, tools: [{ type: 'function', function: { name: 'clock__now' } }], tool_choice: 'required' },
      { ...ok, tools: null, tool_choice: null, parallel_tool_calls: null }
    ]) expect(valid(body), JSON.stringify(valid.errors)).to.equal(true)
  })

  it('should refuse a body with no model or messages, an unknown role, a part that is not text, or a limit exceeded', () => {
    for (const body of [
      { messages: ok.messages },
      { model: 'tiny', messages: [] },
      { ...ok, messages: [{ role: 'tool', content: 'x' }] },
      { ...ok, messages: [{ role: 'developer', content: 'x' }] },
      { ...ok, tools: [{ type: 'function', function: { name: 'a b' } }] },
      { ...ok, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'array' } } }] },
      { ...ok, tool_choice: 'always' },
      { ...ok, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'x' }] }] },
      { ...ok, max_tokens: 101 },
      { ...ok, n: 2 },
      { ...ok, stop: new Array(MAX_STOP_SEQUENCES + 1).fill('s') },
      { ...ok, temperature: '1' }
    ]) expect(valid(body), JSON.stringify(body)).to.equal(false)
  })

  it('should give each error status OpenAI\'s error shape', () => {
    expect(errorResponses(400, 404)).to.deep.equal({ 400: errorResponse, 404: errorResponse })
    expect(ajv.validate(errorResponse, { error: { message: 'm', type: 't', param: null, code: null } })).to.equal(true)
    expect(ajv.validate(errorResponse, { error: { message: 'm' } })).to.equal(false)
    expect(ajv.validate(errorResponse, { error: { message: 'm', type: 't', param: null, code: 429 } })).to.equal(false)
  })
})
