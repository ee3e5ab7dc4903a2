import { expect } from 'chai'
import {
  CLOSE_GRACE_MS, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, MAX_BODY_BYTES, MAX_CONTENT_PARTS, MAX_MESSAGES, MAX_MODEL_ID_CHARS, MAX_SEED, MAX_STOP_CHARS,
  MAX_STOP_SEQUENCES, MAX_TOKEN_CHARS, MAX_TOP_K, STREAM_HEADERS_AFTER_MS
} from '../../../node/openai/constants.ts'
import { PART_STOP_MS } from '../../../node/lifecycle.ts'

describe('openai constants', () => {
  it('should bound a request far above any real one and far below what would hurt the node', () => {
    expect(MAX_BODY_BYTES).to.be.within(1024 * 1024, 64 * 1024 * 1024)
    expect(MAX_MESSAGES).to.be.within(100, 100_000)
    expect(MAX_CONTENT_PARTS).to.be.within(1, MAX_MESSAGES)
    expect(MAX_MODEL_ID_CHARS).to.be.at.least(128)
    expect(MAX_TOKEN_CHARS).to.be.at.least(64)
    expect(MAX_STOP_SEQUENCES).to.equal(4)
    expect(MAX_STOP_CHARS).to.be.at.least(1)
  })

  it('should use OpenAI\'s defaults and llama.cpp\'s ranges for sampling', () => {
    expect([DEFAULT_TEMPERATURE, DEFAULT_TOP_P]).to.deep.equal([1, 1])
    expect(MAX_SEED).to.equal(2 ** 32 - 1)
    expect(MAX_TOP_K).to.be.at.least(256_000)
  })

  it('should send headers well before common first-byte timeouts, and close within a part\'s stop', () => {
    expect(STREAM_HEADERS_AFTER_MS).to.be.below(30_000)
    expect(CLOSE_GRACE_MS).to.be.below(PART_STOP_MS)
  })
})
