import { expect } from 'chai'
import { join } from 'node:path'
import { ActorSystem, userAgent } from '../../../actors/index.ts'
import type { AgentStreamEvent } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { AgentAsker, InferenceService, UsageLimiter, agentGateway } from '../../../node/inference/index.ts'
import { TinyModel } from './fixtures/tiny-model.ts'

describe('AgentAsker (a user agent on real llama.cpp, a real LevelDB)', function () {
  this.timeout(120_000)
  const tiny = new TinyModel()
  let store: LevelStore
  let system: ActorSystem
  let asker: AgentAsker
  let seq = 0
  before(async () => { await tiny.start() })
  after(async () => { await tiny.close() })
  beforeEach(async () => {
    store = await LevelStore.open(join(tiny.dir, `store-${seq++}`))
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    const inference = new InferenceService({ registry: tiny.registry, manager: tiny.manager, limiter: new UsageLimiter({ requestsPerMin: 100, tokensPerMin: 1_000_000 }) })
    system.registerEntity(userAgent({ inference, sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 8 }, maxTokensLimit: 2048 }))
    asker = new AgentAsker(system, system.spawn(agentGateway(), { name: 'agent-gateway' }))
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
  })

  it('should hand every event of the answer over before the answer, the request id first', async () => {
    const order: string[] = []
    const tokens: string[] = []
    let started: string | undefined
    const answer = await asker.ask('ann', 'Hello?', {
      onStarted: (id) => { started = id; order.push('started') },
      onEvent: (event: AgentStreamEvent['event']) => {
        order.push(event.kind)
        if (event.kind === 'token') tokens.push(event.text)
      }
    })
    order.push('answer')
    expect(answer.requestId).to.equal(started)
    expect(answer.completionTokens).to.equal(8)
    expect(tokens.join('')).to.equal(answer.text)
    expect(order[0]).to.equal('started')
    expect(order.at(-1)).to.equal('answer')
    expect(order.filter((k) => k === 'token')).to.have.length(tokens.length)
  })

  it('should cancel the generation when its signal aborts, rejecting with the signal\'s reason, and hand no event after', async () => {
    const controller = new AbortController()
    let afterAbort = 0
    let aborted = false
    const asked = asker.ask('bob', 'Tell me everything.', {
      signal: controller.signal,
      onEvent: (event) => {
        if (aborted) afterAbort++
        if (event.kind === 'token' && !aborted) {
          aborted = true
          controller.abort(new Error('the client went away'))
        }
      }
    })
    const err = await asked.then(() => undefined, (e: Error) => e)
    expect(err?.message).to.equal('the client went away')
    expect(afterAbort).to.equal(0)
  })
})
