import { expect } from 'chai'
import { copyFile, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readGgufInfo, validateModel, writeTinyModel } from '../../../runtimes/index.ts'
import type { ModelFacts, ModelSize } from '../../../runtimes/index.ts'
import { kvStatePaths } from '../../../runtimes/llama/kv-state-file.ts'
import { LlamaRuntime } from '../../../runtimes/llama/llama-runtime.ts'
import type { LlamaRuntimeOptions } from '../../../runtimes/llama/llama-runtime.ts'
import type { ChatTurn, GenerateResult, SamplingParams } from '../../../runtimes/runtime.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const greedy = (maxTokens: number, stop?: string[]): SamplingParams => ({ maxTokens, temperature: 0, topP: 1, topK: 0, ...(stop !== undefined && { stop }) })
const SYSTEM: ChatTurn = { role: 'system', content: 'You are a helpful assistant. Answer briefly and clearly.' }
const question = (turn: number): ChatTurn => ({ role: 'user', content: `Question ${turn}: what does the number ${turn * 7} mean to an actor runtime?` })

interface Model { readonly file: string, readonly facts: ModelFacts }

async function model (dir: string, size: ModelSize, seed = 1): Promise<Model> {
  const file = join(dir, `${size}-${seed}.gguf`)
  await writeTinyModel(file, { size, quant: 'f16', seed })
  return { file, facts: validateModel(file, await readGgufInfo(file)) }
}

function runtime ({ file, facts }: Model, options: Partial<LlamaRuntimeOptions> = {}): LlamaRuntime {
  return new LlamaRuntime({ name: 'm', file, facts, gpu: 'off', threads: 1, contextsPerWorker: 1, contextSize: 2048, ...options })
}

/** Runs a conversation of `turns` questions; each answer joins the history of the next turn. */
async function converse (rt: LlamaRuntime, turns: number, cacheKey: string | undefined, maxTokens = 32): Promise<GenerateResult[]> {
  const history: ChatTurn[] = [SYSTEM]
  const results: GenerateResult[] = []
  for (let turn = 0; turn < turns; turn++) {
    history.push(question(turn))
    const result = await rt.generate({ input: { messages: history }, params: greedy(maxTokens), ...(cacheKey !== undefined && { cacheKey }) }, () => {})
    results.push(result)
    history.push({ role: 'assistant', content: result.text })
  }
  return results
}

/** One turn of each conversation in turn, `turns` rounds. */
async function interleave (rt: LlamaRuntime, keys: readonly string[], turns: number): Promise<Map<string, GenerateResult[]>> {
  const histories = new Map(keys.map((key) => [key, [SYSTEM, { role: 'user', content: `I am ${key}.` }] as ChatTurn[]]))
  const results = new Map(keys.map((key) => [key, [] as GenerateResult[]]))
  for (let turn = 0; turn < turns; turn++) {
    for (const key of keys) {
      const history = histories.get(key) ?? []
      history.push(question(turn))
      const result = await rt.generate({ input: { messages: history }, params: greedy(24), cacheKey: key }, () => {})
      results.get(key)?.push(result)
      history.push({ role: 'assistant', content: result.text })
    }
  }
  return results
}

const texts = (results: readonly GenerateResult[]): string[] => results.map((r) => r.text)

describe('LlamaRuntime KV cache', function () {
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

  it('should keep within its disk budget by removing the least recently saved states, answering as without them', async () => {
    const kvStateDir = join(dir.path, 'budget')
    // a state takes 4 KiB a token on the tiny model (K and V, 4 layers of 256, f16): a first
    // turn's (about 190 tokens) is 0.77 MB, a second turn's about 1.15 MB; the budget holds two
    // of the first, one of the second
    const perToken = 2 * tiny.facts.blockCount * tiny.facts.embeddingLength * 2
    const rt = runtime(tiny, { cachedSequences: 1, kvStateDir, kvStateBudgetBytes: perToken * 450 })
    const reference = runtime(tiny, { cachedSequences: 3 })
    try {
      await Promise.all([rt.load(), reference.load()])
      const tight = await interleave(rt, ['a', 'b', 'c'], 2)
      const kept = await interleave(reference, ['a', 'b', 'c'], 2)
      for (const key of ['a', 'b', 'c']) expect(texts(tight.get(key) ?? [])).to.deep.equal(texts(kept.get(key) ?? []))
      // three second turns, but not three states kept: the budget removed at least one
      const restored = ['a', 'b', 'c'].filter((key) => tight.get(key)?.[1]?.cache?.source === 'disk')
      expect(restored.length).to.be.lessThan(3)
      const files = (await readdir(kvStateDir)).filter((f) => f.endsWith('.kvstate'))
      const bytes = (await Promise.all(files.map(async (f) => (await stat(join(kvStateDir, f))).size))).reduce((a, b) => a + b, 0)
      expect(files.length).to.be.at.least(1)
      expect(bytes).to.be.at.most(perToken * 450)
    } finally {
      await Promise.all([rt.unload(), reference.unload()])
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

  it('should send each conversation to the worker that holds its cache when there are 2 workers', async () => {
    const rt = runtime(tiny, { workers: 2, cachedSequences: 1 })
    try {
      await rt.load()
      const results = await interleave(rt, ['a', 'b'], 3)
      for (const key of ['a', 'b']) {
        expect((results.get(key) ?? []).slice(1).map((r) => r.cache?.source)).to.deep.equal(['memory', 'memory'])
      }
    } finally {
      await rt.unload()
    }
  })

  it('should end the answer before a stop string and say eos', async () => {
    const rt = runtime(tiny)
    try {
      await rt.load()
      const messages = [SYSTEM, question(5)]
      const full = await rt.generate({ input: { messages }, params: greedy(40) }, () => {})
      expect(full.text).to.have.length(40)
      const stop = full.text.slice(20, 23)
      const expected = full.text.slice(0, full.text.indexOf(stop))
      const pieces: string[] = []
      const stopped = await rt.generate({ input: { messages }, params: greedy(40, [stop]) }, (text) => { pieces.push(text) })
      expect(stopped).to.include({ stopReason: 'eos', text: expected })
      expect(pieces.join('')).to.equal(expected)
      const err = await rt.generate({ input: { messages }, params: greedy(4, ['']) }, () => {}).catch((e: unknown) => e as Error)
      expect(err).to.be.instanceOf(RangeError)
    } finally {
      await rt.unload()
    }
  })
})
