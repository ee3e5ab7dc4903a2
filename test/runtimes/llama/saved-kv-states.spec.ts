import { expect } from 'chai'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { kvStatePaths, writeKvState } from '../../../runtimes/llama/kv-state-file.ts'
import { SavedKvStates } from '../../../runtimes/llama/saved-kv-states.ts'
import { interleave, model, runtime, texts } from '../../helpers/llama-conversations.ts'
import type { Model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const IDENTITY = { modelSha256: 'a'.repeat(64), build: 'test-build' }

/** Writes a saved state of `bytes` bytes for `cacheKey` as a worker would. */
async function saveState (dir: string, cacheKey: string, bytes: number): Promise<void> {
  await writeKvState(dir, cacheKey, IDENTITY, 10, async (path) => { await writeFile(path, Buffer.alloc(bytes, 7)) })
}

/** The ids of the states on disk. */
async function onDisk (dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.kvstate')).map((f) => f.slice(0, -'.kvstate'.length)).sort()
}

describe('SavedKvStates', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let modelFile: string
  const warnings: string[] = []
  const log = { warn (_obj: object, msg: string) { warnings.push(msg) } }

  before(async () => {
    dir = await tempDir()
    modelFile = join(dir.path, 'model.gguf')
    await writeFile(modelFile, 'not a real model, only hashed')
  })

  after(async () => {
    await dir?.remove()
  })

  it('should count the states already in its dir and name the model\'s hash when opened', async () => {
    const states = join(dir.path, 'open')
    const sizes: number[] = []
    const first = await SavedKvStates.open({ dir: states, modelFile, model: 'm', budgetBytes: 1_000_000, log, onSaved: (bytes) => { sizes.push(bytes) } })
    expect(first?.size).to.equal(0)
    expect(first?.identity.dir).to.equal(states)
    expect(first?.identity.modelSha256).to.match(/^[0-9a-f]{64}$/)
    await saveState(states, 'agent/a', 100)
    await saveState(states, 'agent/b', 200)
    const again = await SavedKvStates.open({ dir: states, modelFile, model: 'm', budgetBytes: 1_000_000, log })
    expect(again?.size).to.equal(2)
    expect(again?.bytes).to.equal(300)
    expect(again?.identity.modelSha256).to.equal(first?.identity.modelSha256)
  })

  it('should keep within its budget by removing the least recently saved or read states, from disk too', async () => {
    const states = join(dir.path, 'budget-unit')
    const sizes: number[] = []
    const kv = await SavedKvStates.open({ dir: states, modelFile, model: 'm', budgetBytes: 250, log, onSaved: (bytes) => { sizes.push(bytes) } })
    if (kv === undefined) throw new Error('expected the dir to open')
    for (const key of ['a', 'b']) await saveState(states, key, 100)
    await kv.saved([{ cacheKey: 'a', bytes: 100, tokens: 10 }, { cacheKey: 'b', bytes: 100, tokens: 10 }])
    expect(sizes).to.deep.equal([100, 100])
    // a was read since: b is now the least recently used, and goes when c comes
    kv.read('a', false)
    await saveState(states, 'c', 100)
    await kv.saved([{ cacheKey: 'c', bytes: 100, tokens: 10 }])
    expect(kv.size).to.equal(2)
    expect(kv.bytes).to.equal(200)
    expect(await onDisk(states)).to.deep.equal([kvStatePaths(states, 'a').id, kvStatePaths(states, 'c').id].sort())
    // a state refused and removed by a worker is forgotten
    kv.read('c', true)
    expect(kv.size).to.equal(1)
  })

  it('should have a conversation whose state arrived restore it on its next request, once', async () => {
    const kv = await SavedKvStates.open({ dir: join(dir.path, 'arrived'), modelFile, model: 'm', budgetBytes: 1_000_000, log })
    if (kv === undefined) throw new Error('expected the dir to open')
    expect(kv.takeArrived('agent/x')).to.equal(false)
    kv.arrived('agent/x', 500)
    expect(kv.size).to.equal(1)
    expect(kv.takeArrived('agent/x')).to.equal(true)
    expect(kv.takeArrived('agent/x')).to.equal(false)
  })

  it('should keep caches in memory only, and say so, when its dir cannot be used', async () => {
    const file = join(dir.path, 'a-file')
    await writeFile(file, '')
    warnings.length = 0
    const kv = await SavedKvStates.open({ dir: join(file, 'states'), modelFile, model: 'm', budgetBytes: 1_000_000, log })
    expect(kv).to.equal(undefined)
    expect(warnings).to.deep.equal(['KV caches cannot be saved to disk; they are kept in memory only'])
  })

  describe('through LlamaRuntime on the generated model', () => {
    let tiny: Model
    before(async () => { tiny = await model(dir.path, 'tiny') })

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
  })
})
