import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readGgufInfo, validateModel, writeTinyModel } from '../../../runtimes/index.ts'
import type { ModelFacts } from '../../../runtimes/index.ts'
import { LlamaRuntime } from '../../../runtimes/llama/llama-runtime.ts'
import type { ChatTurn, GenerateResult, SamplingParams } from '../../../runtimes/runtime.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const greedy = (maxTokens: number): SamplingParams => ({ maxTokens, temperature: 0, topP: 1, topK: 0 })
const PROMPT = 'The plexi node says'

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection (promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection, but the promise resolved')
}

/** Runs a request and collects the pieces streamed to onToken. */
async function collect (runtime: LlamaRuntime, input: { prompt: string } | { messages: readonly ChatTurn[] }, params: SamplingParams,
  signal?: AbortSignal, onPiece?: (count: number) => void): Promise<{ result: GenerateResult, pieces: string[] }> {
  const pieces: string[] = []
  const result = await runtime.generate({ input, params }, (text) => {
    pieces.push(text)
    onPiece?.(pieces.length)
  }, signal)
  return { result, pieces }
}

describe('LlamaRuntime', function () {
  // worker start and model load take about a second each on a busy 2-core machine
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let file: string
  let facts: ModelFacts
  /** One worker, two contexts of 256 tokens, CPU, 1 thread, batching auto (off on the CPU): the
   * set-up of most tests. */
  let runtime: LlamaRuntime

  before(async () => {
    dir = await tempDir()
    file = join(dir.path, 'tiny.gguf')
    await writeTinyModel(file, { size: 'tiny', quant: 'f16' })
    facts = validateModel(file, await readGgufInfo(file))
    runtime = new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', threads: 1, contextsPerWorker: 2, contextSize: 256 })
    await runtime.load()
  })

  after(async () => {
    await runtime?.unload()
    await dir?.remove()
  })

  it('should report the defaults and a memory estimate from the model facts when not loaded', async () => {
    const idle = new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', workers: 2, contextsPerWorker: 3 })
    const kvCache = 2 * facts.blockCount * 2048 * facts.embeddingLength * 2 * 6
    expect(idle.info()).to.deep.equal({
      kind: 'llama.cpp',
      model: 'tiny',
      loaded: false,
      contextSize: 2048,   // min(2048, the model's 2048)
      slots: 6,
      memoryBytes: facts.fileBytes * 2 + kvCache,
      backend: 'cpu'
    })
    expect(idle.workers).to.deep.equal([])
    const err = await rejection(idle.generate({ input: { prompt: PROMPT }, params: greedy(4) }, () => {}))
    expect(err.name).to.equal('InferenceUnavailableError')
  })

  it('should refuse more sequences per worker than one llama.cpp context holds (256) with a RangeError', () => {
    expect(() => new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', contextsPerWorker: 2, cachedSequences: 257 }))
      .to.throw(RangeError, 'contextsPerWorker and cachedSequences must be <= 256 (the sequences of one llama.cpp context), got 257')
    expect(new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', cachedSequences: 256 }).info().slots).to.equal(1)
  })

  it('should resolve batching auto to off on the CPU, say so once loaded, and refuse a mode it does not know', () => {
    expect(runtime.info()).to.include({ backend: 'cpu', batching: 'off' })
    expect(new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', batching: 'on' }).info().batching).to.equal('on')
    expect(() => new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', batching: 'yes' as 'on' }))
      .to.throw(RangeError, 'batching must be one of auto, on, off, got "yes"')
  })

  it('should stream the answer in pieces, the first token alone, whose concatenation is the result text when loaded', async () => {
    expect(runtime.info()).to.include({ loaded: true, backend: 'cpu', contextSize: 256, slots: 2 })
    const { result, pieces } = await collect(runtime, { prompt: PROMPT }, greedy(24))
    expect(result.stopReason).to.equal('max-tokens')
    expect(result.completionTokens).to.equal(24)
    // the model's greedy output is printable ASCII, one character per token
    // pieces within 10 ms of the last message are joined: at most one per token, the first alone
    expect(pieces.length).to.be.within(1, 24)
    expect(pieces[0]).to.have.length(1)
    expect(pieces.join('')).to.equal(result.text)
    expect(result.text).to.match(/^[\x20-\x7e]{24}$/)
    expect(result.promptTokens).to.equal(PROMPT.length + 1)   // byte-level tokens and BOS
    expect(result.droppedTurns).to.equal(0)
    expect(result.ttftMs).to.be.greaterThan(0).and.at.most(result.durationMs)
  })

  it('should embed texts with the model\'s embedding context: one vector each, as wide as the model, the same for the same text', async () => {
    const long = 'x'.repeat(5_000)
    const [a, b, again, cut] = await runtime.embed(['we ship on friday', 'lunch is pizza', 'we ship on friday', long])
    expect(a).to.be.instanceOf(Float32Array)
    expect(a?.length).to.equal(facts.embeddingLength)
    expect(Array.from(again ?? [])).to.deep.equal(Array.from(a ?? []))
    expect(Array.from(b ?? [])).to.not.deep.equal(Array.from(a ?? []))
    expect(cut?.length, 'a text longer than the embedding context is cut to fit').to.equal(facts.embeddingLength)
    // generation goes on beside it
    expect((await collect(runtime, { prompt: PROMPT }, greedy(4))).result.completionTokens).to.equal(4)
  })

  it('should give the same text when the same greedy request runs twice', async () => {
    const first = await collect(runtime, { prompt: PROMPT }, greedy(32))
    const second = await collect(runtime, { prompt: PROMPT }, greedy(32))
    expect(second.result.text).to.equal(first.result.text)
    expect(first.result.text).to.have.length(32)
  })

  for (const batching of ['off', 'on'] as const) {
    it(`should complete two concurrent requests side by side when contextsPerWorker is 2 and batching ${batching}`, async () => {
      // off: the set-up's (auto on the CPU); on: one context of two sequences, evaluated in one batch
      const rt = batching === 'off' ? runtime : new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'off', batching, threads: 1, contextsPerWorker: 2, contextSize: 256 })
      try {
        await rt.load()
        expect(rt.info().batching).to.equal(batching)
        const alone = await collect(rt, { prompt: PROMPT }, greedy(48))
        const events: string[] = []
        const run = (name: string): Promise<GenerateResult> =>
          rt.generate({ input: { prompt: PROMPT }, params: greedy(48) }, () => { events.push(name) })
        const [a, b] = await Promise.all([run('a'), run('b')])
        expect(a.completionTokens).to.equal(48)
        expect(b.completionTokens).to.equal(48)
        // each sequence computes as if alone, in a context of its own or batched with the other
        expect(a.text).to.equal(alone.result.text)
        expect(b.text).to.equal(alone.result.text)
        // they ran at once, not one after the other
        expect(events.indexOf('b')).to.be.lessThan(events.lastIndexOf('a'))
      } finally {
        if (rt !== runtime) await rt.unload()
      }
    })
  }

  it('should load every worker before load resolves and run a request on each when workers is 2', async function () {
    this.timeout(20_000)
    const loaded: object[] = []
    const log = { info: (obj: object, msg: string) => { if (msg === 'llama model loaded') loaded.push(obj) }, warn: () => {} }
    // no facts: load() reads and validates the file itself
    const pool = new LlamaRuntime({ name: 'tiny', file, gpu: 'off', threads: 1, workers: 2, contextSize: 256, log })
    try {
      expect(pool.info().memoryBytes).to.equal(0)
      await pool.load()
      expect(pool.info()).to.include({ loaded: true, slots: 2 })
      expect(pool.info().memoryBytes).to.equal(facts.fileBytes * 2 + 2 * facts.blockCount * 256 * facts.embeddingLength * 2 * 2)
      // each worker answered its own 'ready' task, so each has loaded the model
      const threadIds = pool.workers.map((worker) => worker.threadId).sort()
      expect(threadIds).to.have.length(2)
      expect(loaded).to.have.length(1)
      expect([...(loaded[0] as { threadIds: number[] }).threadIds].sort()).to.deep.equal(threadIds)
      const [a, b] = await Promise.all([collect(pool, { prompt: PROMPT }, greedy(16)), collect(pool, { prompt: PROMPT }, greedy(16))])
      expect(a.result.text).to.have.length(16)
      expect(b.result.text).to.equal(a.result.text)
    } finally {
      await pool.unload()
    }
  })

  it('should reject load with UnknownModelError and start no worker when the file is not a valid GGUF', async () => {
    const bad = join(dir.path, 'bad.gguf')
    await writeFile(bad, 'GGUF but not really')
    const invalid = new LlamaRuntime({ name: 'bad', file: bad, gpu: 'off' })
    const err = await rejection(invalid.load())
    expect(err.name).to.equal('UnknownModelError')
    expect(invalid.workers).to.deep.equal([])
  })

  it('should stop early with stopReason cancelled and keep the text so far when the signal fires mid-stream', async () => {
    const controller = new AbortController()
    const { result, pieces } = await collect(runtime, { prompt: 'x' }, greedy(200), controller.signal, (count) => {
      if (count === 3) controller.abort()
    })
    expect(result.stopReason).to.equal('cancelled')
    expect(pieces.length).to.be.at.least(3)
    expect(result.completionTokens).to.be.lessThan(200)
    expect(pieces.join('')).to.equal(result.text)
  })

  it('should resolve at once with cancelled and no tokens when the signal is already aborted', async () => {
    const { result, pieces } = await collect(runtime, { prompt: PROMPT }, greedy(24), AbortSignal.abort())
    expect(result).to.include({ stopReason: 'cancelled', text: '', completionTokens: 0 })
    expect(pieces).to.deep.equal([])
  })

  it('should resolve with cancelled and no tokens when the signal fires while the request waits for a slot', async () => {
    const busy = [collect(runtime, { prompt: 'x' }, greedy(100)), collect(runtime, { prompt: 'y' }, greedy(100))]
    const controller = new AbortController()
    const queued = collect(runtime, { prompt: PROMPT }, greedy(24), controller.signal)
    controller.abort()
    const { result, pieces } = await queued
    expect(result).to.include({ stopReason: 'cancelled', text: '', completionTokens: 0 })
    expect(pieces).to.deep.equal([])
    for (const { result } of await Promise.all(busy)) expect(result.completionTokens).to.equal(100)
  })

  it('should stop with context-full when the context fills before maxTokens', async () => {
    const { result } = await collect(runtime, { prompt: 'x' }, greedy(1000))
    expect(result.stopReason).to.equal('context-full')
    expect(result.promptTokens + result.completionTokens).to.equal(256)
  })

  it('should drop the oldest turns, and keep the system turn and the last turn, when a conversation does not fit', async () => {
    const system: ChatTurn = { role: 'system', content: 'You are terse.' }
    const last: ChatTurn = { role: 'user', content: 'And now?' }
    const middle: ChatTurn[] = Array.from({ length: 8 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `Turn ${i}: ${'words '.repeat(6)}` }))
    const { result } = await collect(runtime, { messages: [system, ...middle, last] }, greedy(16))
    expect(result.droppedTurns).to.be.within(1, middle.length - 1)
    expect(result.promptTokens + 16).to.be.at.most(256)
    expect(result.completionTokens).to.equal(16)
    // the same conversation without its oldest turns fits as it is, and gives the same answer
    const { result: trimmed } = await collect(runtime, { messages: [system, ...middle.slice(result.droppedTurns), last] }, greedy(16))
    expect(trimmed.droppedTurns).to.equal(0)
    expect(trimmed.promptTokens).to.equal(result.promptTokens)
    expect(trimmed.text).to.equal(result.text)
  })

  it('should reject with PromptTooLongError when even the last turn alone does not fit', async () => {
    const huge: ChatTurn = { role: 'user', content: 'y'.repeat(300) }
    const chat = await rejection(collect(runtime, { messages: [{ role: 'user', content: 'hi' }, huge] }, greedy(16)))
    expect(chat.name).to.equal('PromptTooLongError')
    const raw = await rejection(collect(runtime, { prompt: huge.content }, greedy(16)))
    expect(raw.name).to.equal('PromptTooLongError')
  })

  it('should reject the request with InferenceWorkerError and serve the next one when its worker dies', async function () {
    this.timeout(20_000)
    const [worker] = runtime.workers
    expect(runtime.workers).to.have.length(1)
    // Ended just before the request reaches it: a thread that ends while llama.cpp works for it
    // takes the whole process down (see LlamaRuntime), so the test kills it where llama.cpp is idle.
    void worker!.terminate()
    const err = await rejection(runtime.generate({ input: { prompt: PROMPT }, params: greedy(8) }, () => {}))
    expect(err.name).to.equal('InferenceWorkerError')
    expect(err.message).to.match(/died.*retry/)
    // Piscina starts a replacement, which loads the model before it takes the request
    const { result } = await collect(runtime, { prompt: PROMPT }, greedy(8))
    expect(result.completionTokens).to.equal(8)
    expect(runtime.workers).to.have.length(1)
    expect(runtime.workers[0]).to.not.equal(worker)
  })

  it('should reject load with InferenceUnavailableError when gpu is cuda and no CUDA binary works here', async function () {
    const cuda = new LlamaRuntime({ name: 'tiny', file, facts, gpu: 'cuda', threads: 1, contextSize: 256 })
    const err = await cuda.load().then(() => undefined, (e: unknown) => e as Error)
    if (err === undefined) {
      // a machine where CUDA works: nothing to refuse
      expect(cuda.info().backend).to.equal('cuda')
      await cuda.unload()
      this.skip()
    }
    expect(err.name).to.equal('InferenceUnavailableError')
    expect(err.message).to.match(/CUDA/)
    expect(cuda.info().loaded).to.equal(false)
    expect(cuda.workers).to.deep.equal([])
  })

  it('should fail requests in flight and later ones with InferenceUnavailableError when unloaded', async () => {
    const inFlight = rejection(collect(runtime, { prompt: 'x' }, greedy(200), undefined, (count) => {
      if (count === 2) void runtime.unload()
    }))
    expect((await inFlight).name).to.equal('InferenceUnavailableError')
    await runtime.unload()   // idempotent
    expect(runtime.info().loaded).to.equal(false)
    expect(runtime.workers).to.deep.equal([])
    const later = await rejection(collect(runtime, { prompt: PROMPT }, greedy(4)))
    expect(later.name).to.equal('InferenceUnavailableError')
  })
})
