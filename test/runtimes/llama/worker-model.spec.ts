import { expect } from 'chai'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { getLlama } from 'node-llama-cpp'
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp'
import { modelSha256 } from '../../../runtimes/llama/kv-state-file.ts'
import type { LlamaStreamMessage, LlamaTaskResult } from '../../../runtimes/llama/llama-protocol.ts'
import type { GenerateResult } from '../../../runtimes/runtime.ts'
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
  /** The model in this thread as a worker holds it: one context of two sequences of 256 tokens,
   * nothing saved. */
  let worker: WorkerModel

  before(async () => {
    dir = await tempDir()
    tiny = await model(dir.path, 'tiny')
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never })
    loaded = await llama.loadModel({ modelPath: tiny.file })
    worker = new WorkerModel(llama, loaded, [await loaded.createContext({ contextSize: 256, threads: 1, sequences: 2 })], 'test-build', undefined)
  })

  after(async () => {
    await loaded?.dispose()
    await llama?.dispose()
    await dir?.remove()
  })

  /** A generate task with its port; `before` runs on the runtime's end before the task does. */
  async function run (task: Omit<GenerateTask, 'type' | 'port'>, before?: (own: MessagePort) => void, on = worker): Promise<{ outcome: LlamaTaskResult, pieces: string[] }> {
    const { port1, port2 } = new MessageChannel()
    before?.(port1)
    try {
      const outcome = await on.generate({ type: 'generate', port: port2, ...task })
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

  /** The contexts of a worker holding `sequences` conversations, as llama-worker makes them: one
   * context of them all (batching on) or a context each (off). */
  async function contextsOf (batching: 'on' | 'off', sequences: number): Promise<LlamaContext[]> {
    if (batching === 'on') return [await loaded.createContext({ contextSize: 512, threads: 1, sequences })]
    const contexts: LlamaContext[] = []
    for (let i = 0; i < sequences; i++) contexts.push(await loaded.createContext({ contextSize: 512, threads: 1, sequences: 1 }))
    return contexts
  }

  for (const batching of ['on', 'off'] as const) describe(`batching ${batching}: ${batching === 'on' ? 'one context of several sequences' : 'a context per sequence'}`, () => {
    /** The generated text of a generate task's outcome (throws on anything else). */
    const answer = (outcome: LlamaTaskResult): GenerateResult => {
      if (outcome.type !== 'generated') throw new Error(`expected generated, got ${JSON.stringify(outcome)}`)
      return outcome.result
    }

    /** Runs the tasks at once on `on`; `firstBeforeAnyEnded`: every request's first piece of text
     * arrived before any of the requests had ended (they were evaluated side by side). */
    async function together (on: WorkerModel, tasks: ReadonlyArray<Omit<GenerateTask, 'type' | 'port'>>): Promise<{ results: GenerateResult[], firstBeforeAnyEnded: boolean }> {
      let ended = 0
      const firstAt: Array<number | undefined> = tasks.map(() => undefined)
      const results = await Promise.all(tasks.map(async (task, i) => {
        const { port1, port2 } = new MessageChannel()
        port1.on('message', () => { firstAt[i] ??= ended })
        try {
          return answer(await on.generate({ type: 'generate', port: port2, ...task }))
        } finally {
          ended++
          port1.close()
        }
      }))
      return { results, firstBeforeAnyEnded: firstAt.every((at) => at === 0) }
    }

    it('should run two requests at once in the worker\'s sequences, each answering as it does alone', async () => {
      const contexts = await contextsOf(batching, 3)
      const shared = new WorkerModel(llama, loaded, contexts, 'test-build', undefined)
      // every sequence of the contexts is a slot of the worker: nothing else evaluates elsewhere
      expect(contexts.map((context) => context.sequencesLeft)).to.deep.equal(contexts.map(() => 0))
      const a = { input: { messages: [SYSTEM, question(1)] }, params: greedy(24) }
      const b = { input: { prompt: 'A different prompt, of another length, for the other sequence:' }, params: greedy(24) }
      const alone = [answer((await run(a, undefined, shared)).outcome), answer((await run(b, undefined, shared)).outcome)]
      const { results, firstBeforeAnyEnded } = await together(shared, [{ ...a, cacheKey: 'agent/a' }, { ...b, cacheKey: 'agent/b' }])
      // in one context the two are evaluated in one batch, so each has text before either ends; in
      // contexts of their own they run on threads of their own, in whatever order the machine gives
      // (a busy one may finish one first): only the answers are the same there
      if (batching === 'on') expect(firstBeforeAnyEnded).to.equal(true)
      expect(results.map((r) => r.text)).to.deep.equal(alone.map((r) => r.text))
      expect(results.map((r) => r.completionTokens)).to.deep.equal([24, 24])
      for (const context of contexts) await context.dispose()
    })

    it('should restore a saved KV cache into a sequence of another worker while its other sequence generates, answering as without the cache', async () => {
      const kvState = { dir: join(dir.path, `kv-${batching}`), modelSha256: '' }
      await mkdir(kvState.dir, { recursive: true })
      kvState.modelSha256 = await modelSha256(kvState.dir, tiny.file)
      const first = await contextsOf(batching, 2)
      const second = await contextsOf(batching, 2)
      try {
        const writer = new WorkerModel(llama, loaded, first, 'test-build', kvState)
        const reader = new WorkerModel(llama, loaded, second, 'test-build', kvState)
        const history = [SYSTEM, question(3)]
        const turn1 = answer((await run({ input: { messages: history }, params: greedy(16), cacheKey: 'agent/b' }, undefined, writer)).outcome)
        const saved = await writer.saveCaches(['agent/b'])
        expect(saved.type === 'caches-saved' && saved.saved.map((state) => state.cacheKey)).to.deep.equal(['agent/b'])
        history.push({ role: 'assistant', content: turn1.text }, question(4))
        const uncached = answer((await run({ input: { messages: history }, params: greedy(16) }, undefined, writer)).outcome)
        // the reader's first sequence holds another conversation, which goes on beside the restore
        answer((await run({ input: { messages: [SYSTEM, question(9)] }, params: greedy(8), cacheKey: 'agent/x' }, undefined, reader)).outcome)
        const { results: [restored, other] } = await together(reader, [
          { input: { messages: history }, params: greedy(16), cacheKey: 'agent/b' },
          { input: { messages: [SYSTEM, question(9), { role: 'assistant', content: 'ok' }, question(10)] }, params: greedy(16), cacheKey: 'agent/x' }
        ])
        expect(restored?.cache).to.include({ source: 'disk' })
        expect(restored?.cache?.restoredBytes).to.be.greaterThan(0)
        expect(restored?.cache?.reusedTokens).to.be.at.least(turn1.promptTokens)
        expect(restored?.text).to.equal(uncached.text)
        expect(other?.cache?.source).to.equal('memory')
      } finally {
        for (const context of [...first, ...second]) await context.dispose()
      }
    })
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
