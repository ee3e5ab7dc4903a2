import { expect } from 'chai'
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { kvStatePaths } from '../../../runtimes/llama/kv-state-file.ts'
import type { ChatTurn, GenerateResult } from '../../../runtimes/runtime.ts'
import { SYSTEM, converse, greedy, interleave, model, question, runtime, texts } from '../../helpers/llama-conversations.ts'
import type { Model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

/** The worker's contexts and the KV caches they hold, seen through LlamaRuntime on real llama.cpp
 * (the generated model): which context a request takes, what it reuses, what is saved to disk,
 * restored from it, or refused. */
describe('ContextSlots', function () {
  // model loads and 10-turn conversations on a busy 2-core machine
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let tiny: Model

  before(async () => {
    dir = await tempDir()
    tiny = await model(dir.path, 'tiny')
  })

  after(async () => {
    await dir?.remove()
  })

  for (const size of ['tiny', '25m'] as const) {
    it(`should answer a 10-turn conversation token for token as without the cache, evaluating only the new tokens, on the ${size} model`, async () => {
      const m = size === 'tiny' ? tiny : await model(dir.path, size)
      const rt = runtime(m)
      try {
        await rt.load()
        const without = await converse(rt, 10, undefined)
        const withCache = await converse(rt, 10, 'agent/ann')
        expect(texts(withCache)).to.deep.equal(texts(without))
        for (const r of without) expect(r.cache).to.equal(undefined)
        // the context still holds the last conversation without a key: their common start is reused
        expect(withCache[0]?.cache?.source).to.equal('miss')
        for (const [turn, r] of withCache.entries()) {
          expect(r.promptTokens).to.equal(without[turn]?.promptTokens)
          if (turn === 0) continue
          // everything up to the previous answer is in the cache: only the new question is evaluated
          const previous = withCache[turn - 1] as GenerateResult
          expect(r.cache?.source).to.equal('memory')
          expect(r.cache?.reusedTokens).to.be.at.least(previous.promptTokens + previous.completionTokens - 1)
          expect(r.cache?.reusedTokens).to.be.lessThan(r.promptTokens)
        }
      } finally {
        await rt.unload()
      }
    })
  }

  it('should keep answers identical when two conversations share one context and no state is saved', async () => {
    const reference = runtime(tiny, { cachedSequences: 2 })
    const evicting = runtime(tiny, { cachedSequences: 1 })
    try {
      await Promise.all([reference.load(), evicting.load()])
      const kept = await interleave(reference, ['a', 'b'], 4)
      const evicted = await interleave(evicting, ['a', 'b'], 4)
      for (const key of ['a', 'b']) {
        expect(texts(evicted.get(key) ?? [])).to.deep.equal(texts(kept.get(key) ?? []))
        // two contexts: each conversation stays in its own
        expect((kept.get(key) ?? []).slice(1).map((r) => r.cache?.source)).to.deep.equal(['memory', 'memory', 'memory'])
        // one: each turn finds the other conversation there, and only the shared system turn is reused
        for (const r of (evicted.get(key) ?? []).slice(1)) {
          expect(r.cache?.source).to.equal('miss')
          expect(r.cache?.reusedTokens).to.be.lessThan(80)
        }
      }
    } finally {
      await Promise.all([reference.unload(), evicting.unload()])
    }
  })

  it('should save an evicted conversation and restore it from disk on its next turn, answering as without the cache', async () => {
    const kvStateDir = join(dir.path, 'spill')
    const saved: number[] = []
    const rt = runtime(tiny, { cachedSequences: 1, kvStateDir, onKvSaved: (bytes) => { saved.push(bytes) } })
    const reference = runtime(tiny, { cachedSequences: 2 })
    try {
      await Promise.all([rt.load(), reference.load()])
      const restored = await interleave(rt, ['a', 'b'], 3)
      const kept = await interleave(reference, ['a', 'b'], 3)
      for (const key of ['a', 'b']) {
        expect(texts(restored.get(key) ?? [])).to.deep.equal(texts(kept.get(key) ?? []))
        for (const [turn, r] of (restored.get(key) ?? []).entries()) {
          if (turn === 0) continue
          expect(r.cache?.source).to.equal('disk')
          expect(r.cache?.restoredBytes).to.be.greaterThan(0)
          // the restored state holds the last answer: only the new question is evaluated
          expect(r.cache?.reusedTokens).to.equal((kept.get(key) ?? [])[turn]?.cache?.reusedTokens)
        }
      }
      expect(saved.length).to.be.at.least(5)
    } finally {
      await Promise.all([rt.unload(), reference.unload()])
    }
  })

  it('should save the caches it holds when unloaded and restore them in a new load', async () => {
    const kvStateDir = join(dir.path, 'restart')
    const first = runtime(tiny, { kvStateDir })
    const history: ChatTurn[] = [SYSTEM, question(1)]
    await first.load()
    const one = await first.generate({ input: { messages: history }, params: greedy(24), cacheKey: 'agent/bo' }, () => {})
    await first.unload()
    expect((await readdir(kvStateDir)).filter((f) => f.endsWith('.kvstate'))).to.have.length(1)
    history.push({ role: 'assistant', content: one.text }, question(2))
    const second = runtime(tiny, { kvStateDir })
    const fresh = runtime(tiny)
    try {
      await Promise.all([second.load(), fresh.load()])
      const two = await second.generate({ input: { messages: history }, params: greedy(24), cacheKey: 'agent/bo' }, () => {})
      const reference = await fresh.generate({ input: { messages: history }, params: greedy(24) }, () => {})
      expect(two.cache).to.deep.include({ source: 'disk', reusedTokens: one.promptTokens + one.completionTokens - 1 })
      expect(two.text).to.equal(reference.text)
    } finally {
      await Promise.all([second.unload(), fresh.unload()])
    }
  })

  it('should restore a state that arrived for a conversation in place of the older copy it holds in memory', async () => {
    const kvStateDir = join(dir.path, 'arrived')
    const elsewhere = join(dir.path, 'elsewhere')
    const here = runtime(tiny, { kvStateDir })
    const there = runtime(tiny, { kvStateDir: elsewhere })
    try {
      await Promise.all([here.load(), there.load()])
      const history: ChatTurn[] = [SYSTEM, question(1)]
      // here holds the conversation after one turn; elsewhere it went on for two more
      const one = await here.generate({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/mo' }, () => {})
      history.push({ role: 'assistant', content: one.text })
      for (const turn of [2, 3]) {
        history.push(question(turn))
        const r = await there.generate({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/mo' }, () => {})
        history.push({ role: 'assistant', content: r.text })
      }
      const [sent] = await there.saveCaches(['agent/mo'])
      const from = kvStatePaths(elsewhere, 'agent/mo')
      const to = kvStatePaths(kvStateDir, 'agent/mo')
      await copyFile(from.state, to.state)
      await copyFile(from.meta, to.meta)
      here.savedStateArrived('agent/mo', sent?.bytes ?? 0)
      history.push(question(4))
      const next = await here.generate({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/mo' }, () => {})
      // the copy in memory holds only the first turn; the state that arrived holds all three
      expect(next.cache?.source).to.equal('disk')
      expect(next.cache?.reusedTokens).to.equal(sent?.tokens)
    } finally {
      await Promise.all([here.unload(), there.unload()])
    }
  })

  it('should refuse a saved state from another model or a damaged one without loading it, and answer as without it', async () => {
    const other = await model(dir.path, 'tiny', 2)
    const mine = join(dir.path, 'mine')
    const theirs = join(dir.path, 'theirs')
    const history: ChatTurn[] = [SYSTEM, question(3)]
    const warnings: string[] = []
    const log = { info () {}, warn (obj: object) { warnings.push(String((obj as { reason?: string }).reason)) } }
    // a state saved by the other model, copied where this model's states are
    const writer = runtime(other, { kvStateDir: theirs })
    await writer.load()
    await writer.generate({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/cy' }, () => {})
    await writer.unload()
    const paths = kvStatePaths(theirs, 'agent/cy')
    const into = kvStatePaths(mine, 'agent/cy')
    const rt = runtime(tiny, { kvStateDir: mine, log, cachedSequences: 1 })
    const fresh = runtime(tiny)
    try {
      await Promise.all([rt.load(), fresh.load()])
      await copyFile(paths.state, into.state)
      await copyFile(paths.meta, into.meta)
      const reference = await fresh.generate({ input: { messages: history }, params: greedy(16) }, () => {})
      const refused = await rt.generate({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/cy' }, () => {})
      expect(refused.cache?.source).to.equal('miss')
      expect(refused.cache?.restoreFailure).to.match(/another model file/)
      expect(refused.text).to.equal(reference.text)
      expect(await readdir(mine)).to.not.include(`${into.id}.kvstate`)
      // another conversation takes the context: cy's own state is saved, then damaged on disk
      await rt.generate({ input: { messages: history }, params: greedy(4), cacheKey: 'agent/dee' }, () => {})
      const meta = JSON.parse(await readFile(paths.meta, 'utf8')) as Record<string, unknown>
      const ours = JSON.parse(await readFile(join(mine, 'model-sha256.json'), 'utf8')) as { sha256: string }
      const state = await readFile(paths.state)
      state[state.length >> 1] ^= 0xff
      await writeFile(into.state, state)
      await writeFile(into.meta, JSON.stringify({ ...meta, modelSha256: ours.sha256 }))
      const damaged = await rt.generate({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/cy' }, () => {})
      expect(damaged.cache?.restoreFailure).to.match(/damaged/)
      expect(damaged.text).to.equal(reference.text)
      expect(warnings).to.have.length(2)
    } finally {
      await Promise.all([rt.unload(), fresh.unload()])
    }
  })

  it('should run requests without a key in a context that holds no conversation rather than evict one', async () => {
    const rt = runtime(tiny, { cachedSequences: 2 })
    try {
      await rt.load()
      const messages: ChatTurn[] = [SYSTEM, question(1)]
      const first = await rt.generate({ input: { messages }, params: greedy(8), cacheKey: 'agent/kept' }, () => {})
      for (let i = 0; i < 3; i++) await rt.generate({ input: { prompt: `stateless ${i}` }, params: greedy(8) }, () => {})
      messages.push({ role: 'assistant', content: first.text }, question(2))
      const next = await rt.generate({ input: { messages }, params: greedy(8), cacheKey: 'agent/kept' }, () => {})
      expect(next.cache?.source).to.equal('memory')
      expect(next.cache?.reusedTokens).to.be.at.least(first.promptTokens)
    } finally {
      await rt.unload()
    }
  })
})
