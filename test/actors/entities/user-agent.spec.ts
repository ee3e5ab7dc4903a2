import { expect } from 'chai'
import fc from 'fast-check'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT, ActorSystem, DEFAULT_PERSONA, checkAgentMsg, userAgent } from '../../../actors/index.ts'
import type {
  AgentErasure,
  ActorRef, AgentAnswer, AgentInference, AgentSettings, AgentStreamEvent, AgentTurn, Journal, JournalRecord
} from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { InferenceService, UsageLimiter } from '../../../node/inference/index.ts'
import { LlamaRuntime, ModelManager, ModelRegistry, writeTinyModel } from '../../../runtimes/index.ts'
import { agentSink } from '../../helpers/agent-sink.ts'
import type { SinkMsg } from '../../helpers/agent-sink.ts'
import { agentMessage } from '../../helpers/entity-messages.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('userAgent (real llama.cpp on the generated model, real LevelDB)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  let registry: ModelRegistry
  let manager: ModelManager
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem
  let gateway: ActorRef<SinkMsg>
  let limiter: UsageLimiter
  let seq = 0

  before(async () => {
    dir = await tempDir()
    await mkdir(join(dir.path, 'models'))
    await writeTinyModel(join(dir.path, 'models', 'tiny.gguf'))
    registry = new ModelRegistry(join(dir.path, 'models'))
    await registry.scan()
    manager = new ModelManager({
      registry,
      createRuntime: (entry) => new LlamaRuntime({ name: entry.name, file: entry.file, gpu: 'off', threads: 1, contextsPerWorker: 2, contextSize: 2048 }),
      memoryBudgetBytes: 256 * 1_048_576,
      maxQueue: 8
    })
  })
  after(async () => {
    await manager?.close()
    await dir.remove()
  })
  beforeEach(async () => {
    store = await LevelStore.open(join(dir.path, `store-${seq++}`))
    await open()
  })
  afterEach(async () => {
    releaseGate()
    await system.terminate()
    await store.close()
  })

  /** Journal writes of questions wait for this gate when set (a slow fsync), or fail when it rejects. */
  let questionGate: Promise<void> | undefined
  let releaseGate = (): void => {}
  /** Generations that ended, by the text of their last message. */
  let generated: string[]

  async function open (requestsPerMin = 1000): Promise<void> {
    limiter = new UsageLimiter({ requestsPerMin, tokensPerMin: 1_000_000 })
    journal = await openLocalJournal(store)
    questionGate = undefined
    generated = []
    const local = journal
    const gated: Journal = {
      async open (entityId, handedOver) {
        const inner = await local.open(entityId, handedOver)
        const append = async (records: readonly JournalRecord[]): Promise<void> => {
          const gate = questionGate
          if (gate !== undefined && records.some((r) => (r.event as { type?: string }).type === 'user-asked')) await gate
          await inner.append(records)
        }
        // the journal as it is, but for its appends (its methods called on it: it keeps private fields)
        return new Proxy(inner, {
          get: (target, name) => {
            if (name === 'append') return append
            const value: unknown = Reflect.get(target, name, target)
            return typeof value === 'function' ? value.bind(target) : value
          }
        })
      }
    }
    const service = new InferenceService({ registry, manager, limiter })
    const inference: AgentInference = {
      checkModel: (model) => { service.checkModel(model) },
      async generate (user, model, prompt, onToken, options) {
        try {
          return await service.generate(user, model, prompt, onToken, options)
        } finally {
          generated.push(prompt.messages.at(-1)?.content ?? '')
        }
      }
    }
    system = new ActorSystem({ journal: gated, strictSerialization: true })
    system.registerEntity(userAgent({
      inference,
      sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 16 },
      maxTokensLimit: 2048
    }))
    gateway = system.spawn(agentSink(), { name: 'gw' })
  }

  const agent = (user = 'ann') => system.entity(AGENT, user)
  const ask = (text: string, requestId: string, user = 'ann'): Promise<AgentAnswer> =>
    agent(user).ask<AgentAnswer>((replyTo) => ({ type: 'ask', user, text, requestId, sink: { kind: 'actor', address: gateway.address }, replyTo }), { timeout: 60_000 })
  const history = (user = 'ann'): Promise<AgentTurn[]> => agent(user).ask<AgentTurn[]>((replyTo) => ({ type: 'history', user, limit: 200, replyTo }))
  const configure = (change: object, user = 'ann'): Promise<AgentSettings> => agent(user).ask<AgentSettings>((replyTo) => ({ type: 'configure', user, change, replyTo }))
  const events = (): Promise<AgentStreamEvent[]> => gateway.ask<AgentStreamEvent[]>((replyTo) => ({ type: 'events', replyTo }))

  it('should stream the answer to its sink before replying with it, and journal both turns', async () => {
    const answer = await ask('Hello?', 'r1')
    expect(answer).to.include({ requestId: 'r1', stopReason: 'max-tokens', completionTokens: 16, model: 'tiny' })
    const tokens = (await events()).filter((e) => e.requestId === 'r1' && e.event.kind === 'token').map((e) => (e.event as { text: string }).text)
    expect(tokens.join('')).to.equal(answer.text)
    expect((await history()).map((t) => [t.role, t.content, t.stopReason ?? ''])).to.deep.equal([['user', 'Hello?', ''], ['assistant', answer.text, 'max-tokens']])
    // recovered from the journal by a new activation
    await system.terminate()
    await open()
    expect((await history()).map((t) => t.content)).to.deep.equal(['Hello?', answer.text])
  })

  it("should evaluate the prompt while the question is written, and stream nothing before it is durable", async () => {
    questionGate = new Promise((resolve) => { releaseGate = resolve })
    const answer = ask('Slow disk?', 's1')
    // the whole answer is generated while the question's write is still held
    await waitFor(() => generated.includes('Slow disk?'), 'the generation to end')
    expect((await events()).filter((e) => e.requestId === 's1')).to.deep.equal([])
    releaseGate()
    const a = await answer
    const tokens = (await events()).filter((e) => e.requestId === 's1' && e.event.kind === 'token').map((e) => (e.event as { text: string }).text)
    expect(tokens.join('')).to.equal(a.text)
    expect((await history()).map((t) => t.content)).to.deep.equal(['Slow disk?', a.text])
  })

  it('should stream nothing and forget the generation when the question cannot be written', async () => {
    questionGate = Promise.reject(new Error('disk gone'))
    questionGate.catch(() => {})
    const failed = await ask('Lost?', 'w1').then(() => undefined, (e: Error) => e)
    expect(failed).to.be.instanceOf(Error)
    await waitFor(() => generated.includes('Lost?'), 'the cancelled generation to end')
    expect((await events()).filter((e) => e.requestId === 'w1')).to.deep.equal([])
    // the disk is back: the agent answers, without the lost question in its history
    questionGate = undefined
    const a = await ask('Back?', 'w2')
    expect((await history()).map((t) => t.content)).to.deep.equal(['Back?', a.text])
  })

  it('should answer one question at a time, queueing the next ones (at most 4) and refusing more', async () => {
    await configure({ sampling: { maxTokens: 400 } })
    const first = ask('one', 'q1')
    // queued while the first is answered, each told its position
    const queued = [ask('two', 'q2'), ask('three', 'q3'), ask('four', 'q4'), ask('five', 'q5')]
    const busy = await ask('six', 'q6').then(() => undefined, (e: Error) => e)
    expect(busy?.name).to.equal('AgentBusyError')
    const answers = await Promise.all([first, ...queued])
    expect(answers.map((a) => a.requestId)).to.deep.equal(['q1', 'q2', 'q3', 'q4', 'q5'])
    const positions = (await events()).filter((e) => e.event.kind === 'queued').map((e) => [e.requestId, (e.event as { position: number }).position])
    expect(positions).to.deep.equal([['q2', 1], ['q3', 2], ['q4', 3], ['q5', 4]])
    expect((await history()).filter((t) => t.role === 'user').map((t) => t.content)).to.deep.equal(['one', 'two', 'three', 'four', 'five'])
  })

  it('should stop an answer on cancel and keep what it said; and forget everything on reset', async () => {
    await configure({ sampling: { maxTokens: 1500 } })
    const long = ask('go on', 'c1')
    await waitFor(async () => (await events()).some((e) => e.requestId === 'c1' && e.event.kind === 'token'), 'the first token')
    agent().tell({ type: 'cancel', user: 'ann', requestId: 'c1' })
    const answer = await long
    expect(answer.stopReason).to.equal('cancelled')
    expect(answer.completionTokens).to.be.within(1, 1499)
    expect((await history()).at(-1)).to.include({ role: 'assistant', content: answer.text, stopReason: 'cancelled' })
    const removed = await agent().ask<number>((replyTo) => ({ type: 'reset', user: 'ann', replyTo }))
    expect(removed).to.equal(2)
    expect(await history()).to.deep.equal([])
  })

  it('should forget the conversation and the settings on erase, whoever asked, and drop every record of it from the journal', async () => {
    await configure({ persona: 'terse' })
    await ask('remember this', 'e1')
    const erased = await agent().ask<AgentErasure>((replyTo) => ({ type: 'erase', user: 'ann', by: 'admin', replyTo }))
    expect(erased).to.deep.equal({ turns: 2 })
    expect(await history()).to.deep.equal([])
    expect((await agent().ask<AgentSettings>((replyTo) => ({ type: 'settings', user: 'ann', replyTo }))).persona).to.equal(DEFAULT_PERSONA)
  })

  it('should refuse another user, bad settings and unknown models, changing nothing and never restarting', async () => {
    const before = await configure({ persona: 'terse' })
    const denied = await agent('ann').ask((replyTo) => ({ type: 'history', user: 'bob', limit: 5, replyTo })).then(() => undefined, (e: Error) => e)
    expect(denied?.name).to.equal('PermissionDeniedError')
    for (const change of [{ sampling: { temperature: 9 } }, { sampling: { maxTokens: 4096 } }, { persona: 'x'.repeat(9000) }, { model: 'nope' }]) {
      const refused = await configure(change).then(() => undefined, (e: Error) => e)
      expect(refused?.name, JSON.stringify(change).slice(0, 60)).to.be.oneOf(['InvalidAgentRequestError', 'UnknownModelError'])
    }
    expect(await agent().ask<AgentSettings>((replyTo) => ({ type: 'settings', user: 'ann', replyTo }))).to.deep.equal(before)
    expect([system.stats.failures, system.stats.restarts]).to.deep.equal([0, 0])
    expect(system.stats.refusals).to.equal(4)
  })

  it('should handle every message its check passes without crashing (asks, cancels, resets, forged ends), and refuse the rest before it sees them', async () => {
    let passed = 0
    await fc.assert(fc.asyncProperty(fc.array(agentMessage(), { maxLength: 8 }), async (messages) => {
      for (const msg of messages) {
        let ok = true
        try { checkAgentMsg(msg) } catch { ok = false }
        let told: boolean
        try {
          told = agent().tell(msg as never)
        } catch (err) {
          // not plain data (the strict system refuses it before anything else)
          expect((err as Error).name).to.equal('NotSerializableError')
          continue
        }
        expect(told, JSON.stringify(msg)).to.equal(ok)
        if (ok) passed++
      }
      // handled in order: once this is answered, so is everything before it
      await agent().ask<AgentSettings>((replyTo) => ({ type: 'settings', user: 'ann', replyTo }))
    }), { numRuns: 40, seed: 20261122 })
    // the generations it started end (or are interrupted) without a crash either
    await system.settleEntities(60_000, 10_000)
    expect(passed).to.be.above(20)
    expect([system.stats.failures, system.stats.restarts]).to.deep.equal([0, 0])
  })

  it('should take a failed question out of its history and give the asker the error with its kind', async () => {
    await system.terminate()
    await open(1)
    await ask('allowed', 'f1')
    const limited = await ask('one too many', 'f2').then(() => undefined, (e: Error & { retryAfterMs?: number, kind?: string }) => e)
    expect(limited).to.include({ name: 'RateLimitedError', kind: 'exhausted' })
    expect(limited?.retryAfterMs).to.be.greaterThan(0)
    expect((await history()).filter((t) => t.role === 'user').map((t) => t.content)).to.deep.equal(['allowed'])
  })

  it('should keep the partial answer as interrupted when the node cannot wait for it', async () => {
    await configure({ sampling: { maxTokens: 1500 } })
    const long = ask('a long story', 'i1')
    const waiting = ask('and then?', 'i2')
    await waitFor(async () => (await events()).some((e) => e.requestId === 'i1' && e.event.kind === 'token'), 'the first token')
    expect(await system.settleEntities(0, 10_000)).to.deep.equal({ interrupted: 1, busy: 0 })
    const answer = await long
    expect(answer.stopReason).to.equal('interrupted')
    expect(await waiting).to.include({ requestId: 'i2', stopReason: 'interrupted', text: '' })
    expect((await history()).map((t) => [t.role, t.content, t.stopReason ?? ''])).to.deep.equal([
      ['user', 'a long story', ''], ['assistant', answer.text, 'interrupted']
    ])
  })
})
