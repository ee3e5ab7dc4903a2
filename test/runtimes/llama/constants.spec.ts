import { expect } from 'chai'
import { CONTEXT_LENGTH } from '../../../runtimes/gguf/index.ts'
import {
  COALESCE_MS, DEFAULT_CONTEXT_SIZE, DEFAULT_KV_STATE_BUDGET, KV_ELEMENT_BYTES, MAX_AFFINITY_KEYS, MAX_CACHE_KEY_LENGTH,
  MAX_KV_META_BYTES, MAX_STOP_LENGTH, MAX_STOP_STRINGS, UNLOAD_DRAIN_MS, UNLOAD_SAVE_MS
} from '../../../runtimes/llama/constants.ts'

describe('llama constants', () => {
  it('should default to a context the test model holds whole', () => {
    expect(DEFAULT_CONTEXT_SIZE).to.be.at.most(CONTEXT_LENGTH)
  })

  it('should give a stuck worker longer to go quiet than the workers get to save their caches', () => {
    expect(UNLOAD_SAVE_MS).to.be.greaterThan(0)
    expect(UNLOAD_DRAIN_MS).to.be.greaterThan(UNLOAD_SAVE_MS)
  })

  it('should hold about a hundred full-context conversations of the test model in the default disk budget', () => {
    // the tiny model: 4 layers of 256, K and V in f16, at 2048 tokens
    const perConversation = 2 * 4 * 256 * KV_ELEMENT_BYTES * 2048
    expect(Math.floor(DEFAULT_KV_STATE_BUDGET / perConversation)).to.equal(128)
  })

  it('should keep a cache key and the stop strings within what a request may reasonably carry', () => {
    // an agent's key: `agent/<user>` (a user name is at most 32 characters) and a model name (at most 128)
    expect(MAX_CACHE_KEY_LENGTH).to.be.at.least('agent/'.length + 32 + 1 + 128)
    expect(MAX_STOP_STRINGS * MAX_STOP_LENGTH).to.be.at.most(4096)
    expect(MAX_AFFINITY_KEYS).to.be.at.least(1000)
    expect(MAX_KV_META_BYTES).to.be.at.least(512)
    // below a 60 Hz frame
    expect(COALESCE_MS).to.be.at.most(1000 / 60)
  })
})
