import { expect } from 'chai'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { getLlama } from 'node-llama-cpp'
import type { Llama, LlamaModel } from 'node-llama-cpp'
import type { LlamaStreamMessage, LlamaTaskResult } from '../../../runtimes/llama/llama-protocol.ts'
import { WorkerModel } from '../../../runtimes/llama/worker-model.ts'
import type { GenerateTask } from '../../../runtimes/llama/worker-model.ts'
import { SYSTEM, greedy, model, question, runtime } from '../../helpers/llama-conversations.ts'
import type { Model } from '../../helpers/llama-conversations.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

/** The text posted on `port` so far. */
function posted (port: MessagePort): string[] {
  const pieces: string[] = []
  for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) {
    pieces.push((entry.message as LlamaStreamMessage).text)
  }
  return pieces
}

describe('WorkerModel', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let tiny: Model
  let llama: Llama
  let loaded: LlamaModel
  /** The model in this thread as a worker holds it: two contexts of 256 tokens, nothing saved. */
  let worker: WorkerModel

  before(async () => {
    dir = await tempDir()
    tiny = await model(dir.path, 'tiny')
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never })
    loaded = await llama.loadModel({ modelPath: tiny.file })
    const contexts = [await loaded.createContext({ contextSize: 256, threads: 1, sequences: 1 }), await loaded.createContext({ contextSize: 256, threads: 1, sequences: 1 })]
    worker = new WorkerModel(llama, loaded, contexts, 'test-build', undefined)
  })

  after(async () => {
    await loaded?.dispose()
    await llama?.dispose()
    await dir?.remove()
  })

  /** A generate task with its port; `before` runs on the runtime's end before the task does. */
  async function run (task: Omit<GenerateTask, 'type' | 'port'>, before?: (own: MessagePort) => void): Promise<{ outcome: LlamaTaskResult, pieces: string[] }> {
    const { port1, port2 } = new MessageChannel()
    before?.(port1)
    try {
      const outcome = await worker.generate({ type: 'generate', port: port2, ...task })
      return { outcome, pieces: posted(port1) }
    } finally {
      port1.close()
    }
  }

  it('should post the answer on the request\'s port, its pieces making the result\'s text, and stop at maxTokens', async () => {
    expect(worker.contextSize).to.equal(256)
    expect(worker.backend).to.equal('cpu')
    const { outcome, pieces } = await run({ input: { prompt: 'The plexi node says' }, params: greedy(12) })
    if (outcome.type !== 'generated') throw new Error(`expected generated, got ${JSON.stringify(outcome)}`)
    expect(outcome.result).to.include({ stopReason: 'max-tokens', completionTokens: 12 })
    expect(outcome.result.text).to.have.length(12)
    expect(pieces.join('')).to.equal(outcome.result.text)
    expect(outcome.result.cache).to.equal(undefined)
  })

  it('should answer cancelled at once, evaluating nothing, when the cancel came before the request started', async () => {
    const { outcome, pieces } = await run({ input: { prompt: 'The plexi node says' }, params: greedy(12) }, (own) => { own.postMessage({ type: 'cancel' }) })
    if (outcome.type !== 'generated') throw new Error(`expected generated, got ${JSON.stringify(outcome)}`)
    expect(outcome.result).to.include({ stopReason: 'cancelled', completionTokens: 0, text: '' })
    expect(pieces).to.deep.equal([])
  })

  it('should fail with a TypeError, as data, when the runtime sends a control message it does not know', async () => {
    const { outcome } = await run({ input: { prompt: 'The plexi node says' }, params: greedy(12) }, (own) => { own.postMessage({ type: 'pause' }) })
    expect(outcome).to.deep.include({ type: 'failed' })
    expect(outcome.type === 'failed' && outcome.error).to.include({ name: 'TypeError', message: 'unexpected control message "pause"' })
  })

  it('should fail with PromptTooLongError, as data, when the prompt fills the context', async () => {
    const { outcome } = await run({ input: { prompt: 'y'.repeat(300) }, params: greedy(4) })
    expect(outcome.type === 'failed' && outcome.error.name).to.equal('PromptTooLongError')
  })

  it('should reuse the conversation it holds for the same cache key, and save nothing without a dir', async () => {
    const history = [SYSTEM, question(1)]
    const first = await run({ input: { messages: history }, params: greedy(8), cacheKey: 'agent/wm' })
    if (first.outcome.type !== 'generated') throw new Error('expected generated')
    history.push({ role: 'assistant', content: first.outcome.result.text }, question(2))
    const second = await run({ input: { messages: history }, params: greedy(8), cacheKey: 'agent/wm' })
    if (second.outcome.type !== 'generated') throw new Error('expected generated')
    expect(second.outcome.result.cache?.source).to.equal('memory')
    expect(second.outcome.result.cache?.reusedTokens).to.be.at.least(first.outcome.result.promptTokens)
    expect(await worker.saveCaches(undefined)).to.deep.equal({ type: 'caches-saved', saved: [], failures: [] })
  })

  describe('through LlamaRuntime', () => {
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
})
