import { expect } from 'chai'
import { INFERENCE_RELAY_PATH, checkInferenceMsg } from '../../../node/inference/index.ts'

describe('checkInferenceMsg', () => {
  const replyTo = { node: 'peer', askId: 'a1' }
  const request = { input: { messages: [{ role: 'user', content: 'hi' }] }, params: { maxTokens: 4, temperature: 0, topP: 1, topK: 0 }, cacheKey: 'agent/ann' }
  const good = { type: 'generate', requestId: 'r1', user: 'ann', model: 'tiny', request, relay: { node: 'peer', path: INFERENCE_RELAY_PATH }, replyTo }

  it('should pass a forwarded request and a cancel as a member sends them', () => {
    expect(checkInferenceMsg(good)).to.equal(good)
    const call = { id: 'call_1', name: 'clock__now', arguments: {} }
    const withTools = {
      ...good,
      request: {
        ...request,
        input: { messages: [{ role: 'user', content: 'time?' }, { role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', toolCallId: 'call_1', content: 'noon' }] },
        tools: [{ name: 'clock__now', description: 'now', parameters: { type: 'object' } }],
        toolChoice: { name: 'clock__now' }
      }
    }
    expect(checkInferenceMsg(withTools)).to.equal(withTools)
    expect(checkInferenceMsg({ type: 'cancel', requestId: 'r1' })).to.deep.equal({ type: 'cancel', requestId: 'r1' })
  })

  it('should refuse malformed messages naming what is wrong, whatever arrives', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /an object/],
      ['generate', /an object/],
      [{ type: 'steal' }, /unknown inference message/],
      [{ type: 'cancel' }, /requestId/],
      [{ ...good, replyTo: undefined }, /reply address/],
      [{ ...good, requestId: 'x'.repeat(65) }, /requestId/],
      [{ ...good, model: '' }, /user and model/],
      [{ ...good, relay: { node: 'peer', path: '/chat-gateway' } }, /relay/],
      [{ ...good, request: { ...request, input: { prompt: 'raw' } } }, /messages/],
      [{ ...good, request: { ...request, input: { messages: [{ role: 'god', content: 'x' }] } } }, /turns/],
      [{ ...good, request: { ...request, input: { messages: [{ role: 'user', content: 7 }] } } }, /turns/],
      [{ ...good, request: { ...request, cacheKey: '' } }, /cacheKey/],
      [{ ...good, request: { ...request, params: null } }, /params/],
      [{ ...good, request: { ...request, tools: [{ name: 'bad name', description: '', parameters: { type: 'object' } }] } }, /request\.tools\[0\]\.name/],
      [{ ...good, request: { ...request, tools: 'all' } }, /request\.tools must be a list/],
      [{ ...good, request: { ...request, toolChoice: { name: 'nothing' } } }, /request\.toolChoice names "nothing"/],
      [{ ...good, request: { ...request, input: { messages: [{ role: 'tool', content: 'x', toolCallId: 'c' }] } } }, /request\.messages\[0\]: a tool turn answers a call/],
      [{ ...good, request: { ...request, input: { messages: [{ role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'x', arguments: 'rm' }] }] } } }, /arguments must be a JSON object/],
      [{ ...good, request: { ...request, tools: Array.from({ length: 100 }, (_, i) => ({ name: `t${i}`, description: 'd'.repeat(8000), parameters: { type: 'object', description: 'x'.repeat(40_000) } })) } }, /more than 4194304 bytes of messages and tools/]
    ]
    for (const [msg, why] of bad) {
      let err: Error | undefined
      try { checkInferenceMsg(msg) } catch (e) { err = e as Error }
      expect(err?.name, JSON.stringify(msg)?.slice(0, 80)).to.equal('InvalidPeerRequestError')
      expect(err?.message).to.match(why)
    }
  })
})
