import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { GrpcServices, callFailure } from '../../helpers/grpc-services.ts'
import { collectAnswer } from '../../helpers/node-process.ts'

describe('agentServiceHandlers (real gRPC, a real agent and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices

  beforeEach(async () => { s = await GrpcServices.start() })
  afterEach(async () => { await s.stop() })

  it('should keep each turn of an answered question in the agent\'s history, newest last, when asked for it', async () => {
    const { error } = await collectAnswer(s.agent(s.annToken).ask('Hello?'))
    expect(error).to.equal(undefined)
    const { turns } = await s.agent(s.annToken).call<{ turns: Array<{ role: string, content: string, stopReason: string, model: string }> }>('History', { user: '', limit: 0 })
    expect(turns.map((t) => [t.role, t.content, t.stopReason, t.model])).to.deep.equal([['user', 'Hello?', '', ''], ['assistant', 'scripted answer here', 'eos', 'scripted']])
    const one = await s.agent(s.annToken).call<{ turns: unknown[] }>('History', { user: 'ann', limit: 1 })
    expect(one.turns).to.have.length(1)
  })

  it('should change only the settings a Configure sets, and show them, when the caller configures its own agent', async () => {
    const c = s.agent(s.annToken)
    const before = await c.call<{ persona: string, sampling: { temperature: number, maxTokens: number } }>('GetSettings', { user: '' })
    const after = await c.call<{ persona: string, sampling: { temperature: number, maxTokens: number } }>('Configure', { user: '', persona: 'a pirate', temperature: 0.5 })
    expect(after.persona).to.equal('a pirate')
    expect(after.sampling.temperature).to.equal(0.5)
    expect(after.sampling.maxTokens).to.equal(before.sampling.maxTokens)
    expect(await c.call('GetSettings', { user: 'ann' })).to.deep.equal(after)
  })

  it('should forget the turns and say how many, when reset', async () => {
    await collectAnswer(s.agent(s.annToken).ask('Hello?'))
    expect(await s.agent(s.annToken).call('Reset', { user: '' })).to.deep.equal({ turnsRemoved: 2 })
    expect((await s.agent(s.annToken).call<{ turns: unknown[] }>('History', { user: '', limit: 0 })).turns).to.deep.equal([])
  })

  it('should refuse another user\'s agent with PERMISSION_DENIED, and a bad limit or setting with INVALID_ARGUMENT, changing nothing', async () => {
    const c = s.agent(s.bobToken)
    for (const [method, request] of [['History', { user: 'ann', limit: 0 }], ['GetSettings', { user: 'ann' }], ['Configure', { user: 'ann', persona: 'x' }], ['Reset', { user: 'ann' }]] as const) {
      const err = await callFailure(c.call(method, request))
      expect([err.code, err.details], method).to.deep.equal([grpc.status.PERMISSION_DENIED, 'bob may not talk to ann\'s agent; only its own user may'])
    }
    expect((await callFailure(c.call('History', { user: '', limit: 100_000 }))).details).to.match(/^limit: must be 1 to \d+ \(0 means 50\)$/)
    expect((await callFailure(c.call('Configure', { user: '', temperature: 99 }))).code).to.equal(grpc.status.INVALID_ARGUMENT)
    expect((await s.agent(s.annToken).call<{ persona: string }>('GetSettings', { user: '' })).persona).to.not.equal('x')
  })

  it('should authenticate every call first, when a token is missing or wrong or the node does not serve', async () => {
    expect((await callFailure(s.agent(undefined).call('GetSettings', { user: '' }))).code).to.equal(grpc.status.UNAUTHENTICATED)
    expect((await callFailure(s.agent('plxu_wrong').call('Reset', { user: '' }))).details).to.equal('invalid or revoked token')
    s.accepting = false
    expect((await callFailure(s.agent(s.annToken).call('History', { user: '', limit: 0 }))).code).to.equal(grpc.status.UNAVAILABLE)
  })
})
