import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LlamaRuntime, ModelManager, ModelRegistry, writeTinyModel } from '../../runtimes/index.ts'
import type { GenerateRequest, GenerateResult } from '../../runtimes/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const greedy = (maxTokens: number): GenerateRequest => ({ input: { prompt: 'Once upon a time' }, params: { maxTokens, temperature: 0, topP: 1, topK: 0 } })
const MIB = 1_048_576

describe('ModelManager (real llama.cpp on generated models)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let registry: ModelRegistry
  let manager: ModelManager | undefined

  before(async () => {
    dir = await tempDir()
    await writeTinyModel(join(dir.path, 'a.gguf'), { quant: 'tq2_0' })
    await writeTinyModel(join(dir.path, 'b.gguf'), { quant: 'tq2_0', seed: 7 })
    await writeFile(join(dir.path, 'broken.gguf'), 'not a model')
    registry = new ModelRegistry(dir.path)
    await registry.scan()
  })
  after(async () => { await dir.remove() })
  afterEach(async () => { await manager?.close() })

  /** tq2_0 tiny: about 4 MiB by the manager's estimate (weights, and the KV cache of 512 tokens). */
  const managerWith = (memoryMiB: number, maxQueue: number): ModelManager => new ModelManager({
    registry,
    createRuntime: (entry) => new LlamaRuntime({ name: entry.name, file: entry.file, ...(entry.facts !== undefined && { facts: entry.facts }), gpu: 'off', threads: 1, contextsPerWorker: 1, contextSize: 512 }),
    memoryBudgetBytes: memoryMiB * MIB,
    maxQueue
  })

  it('should load on the first request and unload the least recently used idle model when the budget needs room', async () => {
    manager = managerWith(6, 4)
    const a = await manager.generate('a', greedy(4), () => undefined)
    expect(a.completionTokens).to.equal(4)
    expect(manager.loaded().map((m) => m.model)).to.deep.equal(['a'])
    await manager.load('b')
    expect(manager.loaded().map((m) => m.model)).to.deep.equal(['b'])
    const again = await manager.generate('a', greedy(4), () => undefined)
    expect(again.text).to.equal(a.text)
    expect(manager.loaded().map((m) => m.model)).to.deep.equal(['a'])
  })

  it('should keep both models when the budget holds both, and refuse a model larger than the whole budget', async () => {
    manager = managerWith(64, 4)
    await manager.load('a')
    await manager.load('b')
    expect(manager.loaded().map((m) => m.model)).to.deep.equal(['a', 'b'])
    const small = managerWith(1, 4)
    const err = await small.load('a').then(() => undefined, (e: Error) => e)
    await small.close()
    expect(err?.name).to.equal('ModelMemoryError')
    expect(err?.message).to.match(/more than the whole models memory budget of 1 MiB/)
  })

  it('should embed with a model, loading it first, through its slots; and refuse a runtime that cannot embed', async () => {
    manager = managerWith(64, 4)
    const [v] = await manager.embed('a', ['the deploy is friday'])
    expect(v?.length).to.equal(registry.get('a')?.facts?.embeddingLength)
    expect(manager.loaded().map((m) => m.model)).to.deep.equal(['a'])
    const plain = new ModelManager({
      registry,
      createRuntime: (entry) => {
        const inner = new LlamaRuntime({ name: entry.name, file: entry.file, gpu: 'off', threads: 1, contextsPerWorker: 1, contextSize: 512 })
        return { load: async () => { await inner.load() }, generate: async (r, t, sig) => await inner.generate(r, t, sig), unload: async () => { await inner.unload() }, info: () => inner.info() }
      },
      memoryBudgetBytes: 64 * MIB,
      maxQueue: 4
    })
    const err = await plain.embed('b', ['x']).then(() => undefined, (e: Error) => e)
    await plain.close()
    expect(err?.name).to.equal('InferenceUnavailableError')
    expect(err?.message).to.match(/model b cannot embed/)
  })

  it('should refuse unknown and invalid models by name, before loading anything', async () => {
    manager = managerWith(64, 4)
    const unknown = await manager.generate('nope', greedy(1), () => undefined).then(() => undefined, (e: Error) => e)
    expect(unknown?.name).to.equal('UnknownModelError')
    const broken = await manager.generate('broken', greedy(1), () => undefined).then(() => undefined, (e: Error) => e)
    expect(broken?.name).to.equal('UnknownModelError')
    expect(broken?.message).to.match(/not usable/)
    expect(manager.loaded()).to.deep.equal([])
  })

  it('should queue beyond the slots, tell each its place, refuse when the queue is full, and let a queued request be cancelled', async () => {
    manager = managerWith(64, 1)
    await manager.load('a')
    let firstToken!: () => void
    const started = new Promise<void>((resolve) => { firstToken = resolve })
    const running = manager.generate('a', greedy(400), () => { firstToken() })
    await started
    const positions: number[] = []
    const cancel = new AbortController()
    let waiting!: () => void
    const inQueue = new Promise<void>((resolve) => { waiting = resolve })
    const queued = manager.generate('a', greedy(4), () => undefined, { signal: cancel.signal, onQueued: (p) => { positions.push(p); waiting() } })
    await inQueue
    expect(positions).to.deep.equal([1])
    expect(manager.queueDepths().get('a')).to.equal(1)
    const refused = await manager.generate('a', greedy(4), () => undefined).then(() => undefined, (e: Error & { retryAfterMs?: number }) => e)
    expect(refused?.name).to.equal('InferenceQueueFullError')
    expect(refused?.retryAfterMs).to.be.greaterThan(0)
    cancel.abort()
    const cancelled: GenerateResult = await queued
    expect(cancelled).to.include({ stopReason: 'cancelled', completionTokens: 0 })
    expect(manager.queueDepths().get('a')).to.equal(0)
    expect((await running).completionTokens).to.equal(400)
    expect(manager.loaded()[0]).to.include({ active: 0, queued: 0 })
  })

  it('should serve waiting users round-robin, so that one user\'s many requests do not starve another, and tell each its new place', async () => {
    manager = managerWith(64, 16)
    await manager.load('a')
    let firstToken!: () => void
    const started = new Promise<void>((resolve) => { firstToken = resolve })
    const running = manager.generate('a', greedy(200), () => { firstToken() }, { user: 'hog' })
    await started
    const served: string[] = []
    const places = new Map<string, number[]>()
    const ask = (user: string, n: number): Promise<GenerateResult> => {
      const name = `${user}${n}`
      return manager!.generate('a', greedy(2), () => undefined, { user, onQueued: (p) => { places.set(name, [...(places.get(name) ?? []), p]) } })
        .then((r) => { served.push(name); return r })
    }
    const hog = [1, 2, 3, 4].map((n) => ask('hog', n))
    const others = [ask('ann', 1), ask('bo', 1)]
    await Promise.all([running, ...hog, ...others])
    // the hog's first waits ahead (it came first), then each other user goes before its second
    expect(served).to.deep.equal(['hog1', 'ann1', 'bo1', 'hog2', 'hog3', 'hog4'])
    // bo came last but is third in line at once; the hog's second moves back as others arrive
    expect(places.get('bo1')?.[0]).to.equal(3)
    expect(places.get('hog2')).to.deep.equal([2, 3, 4, 3, 2, 1])
    expect(places.get('hog4')?.at(-1)).to.equal(1)
  })

  it('should fail the running and the waiting requests with InferenceUnavailableError when the model is unloaded', async () => {
    manager = managerWith(64, 4)
    await manager.load('a')
    let firstToken!: () => void
    const started = new Promise<void>((resolve) => { firstToken = resolve })
    const running = manager.generate('a', greedy(2000), () => { firstToken() }).then(() => undefined, (e: Error) => e)
    await started
    const waiting = manager.generate('a', greedy(4), () => undefined).then(() => undefined, (e: Error) => e)
    expect(await manager.unload('a')).to.equal(true)
    expect((await running)?.name).to.equal('InferenceUnavailableError')
    expect((await waiting)?.name).to.equal('InferenceUnavailableError')
    expect(manager.loaded()).to.deep.equal([])
    expect(await manager.unload('a')).to.equal(false)
  })
})
