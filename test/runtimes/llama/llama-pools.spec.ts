import { expect } from 'chai'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { LlamaPools, loadedWorkers } from '../../../runtimes/llama/llama-pools.ts'
import type { LlamaTaskResult, LlamaWorkerData } from '../../../runtimes/llama/llama-protocol.ts'
import { SavedKvStates } from '../../../runtimes/llama/saved-kv-states.ts'
import { SYSTEM, greedy, model, question } from '../../helpers/llama-conversations.ts'
import type { Model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('LlamaPools', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let tiny: Model
  const lines: string[] = []
  const log = { info (_obj: object, msg: string) { lines.push(msg) }, warn (_obj: object, msg: string) { lines.push(msg) } }

  before(async () => {
    dir = await tempDir()
    tiny = await model(dir.path, 'tiny')
  })
  after(async () => { await dir?.remove() })

  const workerData = (kv?: SavedKvStates): LlamaWorkerData => ({ name: 'tiny', file: tiny.file, gpu: 'off', batching: 'off', contexts: 1, threads: 1, contextSize: 256, cachedSequences: 1, ...(kv !== undefined && { kvState: kv.identity }) })

  it('should start one worker per pool, each answering its ready task once the model is loaded', async () => {
    const pools = new LlamaPools({ name: 'tiny', workerData: workerData(), workers: 2, contextsPerWorker: 1, kv: undefined, log })
    try {
      const loaded = loadedWorkers('tiny', await pools.ready())
      if ('failure' in loaded) throw loaded.failure
      expect(loaded).to.include({ backend: 'cpu', contextSize: 256 })
      expect(new Set(loaded.threadIds).size).to.equal(2)
      expect(pools.threads).to.have.length(2)
    } finally {
      await pools.destroy()
    }
    expect(pools.threads).to.deep.equal([])
  })

  it('should save the caches its workers hold when stopped, then end them', async () => {
    const kv = await SavedKvStates.open({ dir: join(dir.path, 'kv'), modelFile: tiny.file, model: 'tiny', budgetBytes: 1 << 30, log })
    if (kv === undefined) throw new Error('expected the dir to open')
    const pools = new LlamaPools({ name: 'tiny', workerData: workerData(kv), workers: 1, contextsPerWorker: 1, kv, log })
    const ready = loadedWorkers('tiny', await pools.ready())
    if ('failure' in ready) throw ready.failure
    const worker = pools.affinity.route('agent/pat')
    const { port1, port2 } = new MessageChannel()
    const answer = await worker.pool.run({ type: 'generate', input: { messages: [SYSTEM, question(1)] }, params: greedy(4), cacheKey: 'agent/pat', port: port2 }, { transferList: [port2] })
    port1.close()
    expect(answer.type).to.equal('generated')
    expect(await pools.saveCaches(['agent/nobody'], 10_000), 'no worker holds it').to.deep.equal([])
    lines.length = 0
    await pools.stop()
    expect(lines).to.deep.equal(['KV caches saved', 'llama model unloaded'])
    expect(kv.size).to.equal(1)
    expect((await readdir(join(dir.path, 'kv'))).filter((f) => f.endsWith('.kvstate'))).to.have.length(1)
    expect(pools.threads).to.deep.equal([])
  })

  describe('loadedWorkers', () => {
    const loaded: LlamaTaskResult = { type: 'loaded', threadId: 1, backend: 'cpu', contextSize: 512, build: 'b', batching: 'off' }

    it('should take the smallest context the workers made', () => {
      const summary = loadedWorkers('m', [{ status: 'fulfilled', value: loaded }, { status: 'fulfilled', value: { ...loaded, threadId: 2, contextSize: 256 } }])
      expect(summary).to.deep.equal({ backend: 'cpu', contextSize: 256, threadIds: [1, 2], build: 'b', batching: 'off' })
    })

    it('should fail with the first failure: a worker that died, the load\'s own error, or a wrong answer', () => {
      const died = loadedWorkers('m', [{ status: 'fulfilled', value: loaded }, { status: 'rejected', reason: new Error('gone') }])
      expect('failure' in died && died.failure.name).to.equal('InferenceUnavailableError')
      expect('failure' in died && died.failure.message).to.equal('model "m": a llama.cpp worker died while loading it (gone)')
      const refused = loadedWorkers('m', [{ status: 'fulfilled', value: { type: 'failed', error: { name: 'UnknownModelError', message: 'no such model', kind: 'not-found' } } }])
      expect('failure' in refused && refused.failure.name).to.equal('UnknownModelError')
      const wrong = loadedWorkers('m', [{ status: 'fulfilled', value: { type: 'caches-saved', saved: [], failures: [] } }])
      expect('failure' in wrong && wrong.failure).to.be.instanceOf(TypeError)
    })
  })
})
