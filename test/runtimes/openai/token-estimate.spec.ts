import { expect } from 'chai'
import { BYTES_PER_TOKEN, TOKENS_PER_TURN } from '../../../runtimes/openai/constants.ts'
import { estimateTokens } from '../../../runtimes/openai/token-estimate.ts'

describe('estimateTokens', () => {
  it('should count a turn\'s UTF-8 bytes over BYTES_PER_TOKEN, rounded up, plus the template\'s markers', () => {
    expect(estimateTokens({ role: 'user', content: '' })).to.equal(TOKENS_PER_TURN)
    expect(estimateTokens({ role: 'user', content: 'abcd' })).to.equal(Math.ceil(4 / BYTES_PER_TOKEN) + TOKENS_PER_TURN)
    // é is 2 bytes, 日 3: bytes, not characters, are counted
    expect(estimateTokens({ role: 'assistant', content: 'é日' })).to.equal(Math.ceil(5 / BYTES_PER_TOKEN) + TOKENS_PER_TURN)
  })

  it('should over-count English text against a BPE tokenizer\'s usual 4 bytes a token', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20)
    expect(estimateTokens({ role: 'user', content: text }) - TOKENS_PER_TURN).to.be.at.least(Buffer.byteLength(text) / 4)
  })

  it('should count an assistant turn\'s calls as the JSON sent for them, and a tool turn\'s call id', () => {
    const toolCalls = [{ id: 'call_1', name: 'calc__add', arguments: { a: 1 } }]
    expect(estimateTokens({ role: 'assistant', content: '', toolCalls })).to.equal(Math.ceil(JSON.stringify(toolCalls).length / BYTES_PER_TOKEN) + TOKENS_PER_TURN)
    expect(estimateTokens({ role: 'tool', content: 'abc', toolCallId: 'call_1' })).to.equal(Math.ceil(9 / BYTES_PER_TOKEN) + TOKENS_PER_TURN)
  })
})
