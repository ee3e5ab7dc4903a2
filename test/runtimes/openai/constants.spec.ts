import { expect } from 'chai'
import {
  BYTES_PER_TOKEN, DEFAULT_TIMEOUT_MS, MAX_ERROR_BODY_BYTES, MAX_EVENT_CHARS, MAX_MODELS_BODY_BYTES, MAX_MODELS_IN_MESSAGE, TOKENS_PER_PROMPT, TOKENS_PER_TURN
} from '../../../runtimes/openai/constants.ts'

describe('openai constants', () => {
  it('should estimate tokens conservatively: fewer bytes a token than BPE tokenizers average on English', () => {
    expect(BYTES_PER_TOKEN).to.be.below(4)
    expect(BYTES_PER_TOKEN).to.be.at.least(1)
    expect(TOKENS_PER_TURN).to.be.at.least(5)
    expect(TOKENS_PER_PROMPT).to.be.at.least(TOKENS_PER_TURN)
  })

  it('should bound what is read from a server well above what a well-behaved one sends', () => {
    // a chunk is a few hundred bytes, an error body a few hundred, a model list a few kilobytes
    expect(MAX_EVENT_CHARS).to.be.at.least(64 * 1024)
    expect(MAX_ERROR_BODY_BYTES).to.be.at.least(4096)
    expect(MAX_MODELS_BODY_BYTES).to.be.at.least(1_048_576)
    expect(MAX_MODELS_IN_MESSAGE).to.be.within(5, 100)
    expect(DEFAULT_TIMEOUT_MS).to.be.within(5_000, 120_000)
  })
})
