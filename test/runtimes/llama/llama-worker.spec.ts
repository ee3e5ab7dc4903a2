import { expect } from 'chai'
import { join } from 'node:path'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { LlamaStreamMessage, LlamaTask, LlamaTaskResult, LlamaWorkerData } from '../../../runtimes/llama/llama-protocol.ts'
import { greedy, model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const WORKER = new URL('../../../runtimes/llama/llama-worker.ts', import.meta.url).href

/** The worker file in a Piscina pool of one thread, as LlamaRuntime runs it. */
function pool (workerData: LlamaWorkerData): Piscina<LlamaTask, LlamaTaskResult> {
  return new Piscina({ filename: WORKER, workerData, minThreads: 1, maxThreads: 1, idleTimeout: Infinity, atomics: 'disabled' })
}

describe('llama-worker', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  before(async () => { dir = await tempDir() })
  after(async () => { await dir?.remove() })

  it('should load the model once, say so to a ready task, and answer generate and save-caches tasks', async () => {
    const { file } = await model(dir.path, 'tiny')
    const workers = pool({ name: 'tiny', file, gpu: 'off', batching: 'on', contexts: 1, threads: 1, contextSize: 256, cachedSequences: 1 })
    try {
      const ready = await workers.run({ type: 'ready' })
      expect(ready).to.deep.include({ type: 'loaded', backend: 'cpu', contextSize: 256, batching: 'on' })
      expect(ready.type === 'loaded' && ready.build).to.match(/node-llama-cpp@/)
      const { port1, port2 } = new MessageChannel()
      const answer = await workers.run({ type: 'generate', input: { prompt: 'The plexi node says' }, params: greedy(6), port: port2 }, { transferList: [port2] })
      const pieces: string[] = []
      for (let entry = receiveMessageOnPort(port1); entry !== undefined; entry = receiveMessageOnPort(port1)) pieces.push((entry.message as LlamaStreamMessage).text)
      port1.close()
      if (answer.type !== 'generated') throw new Error(`expected generated, got ${JSON.stringify(answer)}`)
      expect(answer.result).to.include({ completionTokens: 6, stopReason: 'max-tokens' })
      expect(pieces.join('')).to.equal(answer.result.text)
      expect(await workers.run({ type: 'save-caches' })).to.deep.equal({ type: 'caches-saved', saved: [], failures: [] })
    } finally {
      await workers.destroy()
    }
  })

  it('should resolve batching auto to off, a context per sequence, when the backend is the CPU', async () => {
    const { file } = await model(dir.path, 'tiny')
    const workers = pool({ name: 'tiny', file, gpu: 'off', batching: 'auto', contexts: 2, threads: 1, contextSize: 256, cachedSequences: 3 })
    try {
      expect(await workers.run({ type: 'ready' })).to.deep.include({ type: 'loaded', backend: 'cpu', batching: 'off' })
    } finally {
      await workers.destroy()
    }
  })

  it('should answer every task with the load\'s failure, as data, when the model does not load', async () => {
    // a file that is not there: a broken one could make llama.cpp abort the process (the runtime
    // validates files before a worker sees them; this is the worker's own fallback)
    const file = join(dir.path, 'missing.gguf')
    const workers = pool({ name: 'broken', file, gpu: 'off', batching: 'auto', contexts: 1, threads: 1, contextSize: 256, cachedSequences: 1 })
    try {
      for (const task of [{ type: 'ready' }, { type: 'save-caches' }] as const) {
        const answer = await workers.run(task)
        expect(answer.type, task.type).to.equal('failed')
        expect(answer.type === 'failed' && answer.error).to.include({ name: 'InferenceUnavailableError', kind: 'unavailable' })
        expect(answer.type === 'failed' && answer.error.message).to.match(/model "broken" did not load from .*missing\.gguf/)
      }
    } finally {
      await workers.destroy()
    }
  })
})
