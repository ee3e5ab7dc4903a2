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
    // with the models the agent's node can run: what a client offers to choose from
    expect([(before as { models?: string[] }).models, (after as { models?: string[] }).models]).to.deep.equal([['scripted'], ['scripted']])
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

describe('agentServiceHandlers Tools (real gRPC, the real tool policy entity and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  interface Tools { granted: string[], enabled: string[], disabled: string[], tools: Array<{ name: string, description: string }> }

  beforeEach(async () => {
    s = await GrpcServices.start({}, {}, { tools: true })
    await s.toolPolicy.grant('ann', ['clock__*', 'calc__add'])
  })
  afterEach(async () => { await s.stop() })

  it('should show the caller what it was granted and the tools its agent is offered, and turn them off and on', async () => {
    const c = s.agent(s.annToken)
    expect(await c.call<Tools>('Tools', { user: '' })).to.deep.equal({
      granted: ['calc__add', 'clock__*'], enabled: [], disabled: [],
      tools: [{ name: 'clock__now', description: 'The time now, as an ISO 8601 date' }, { name: 'calc__add', description: 'Adds two numbers' }]
    })
    const off = await c.call<Tools>('Tools', { user: 'ann', disable: ['clock__*'], enable: [] })
    expect(off).to.deep.include({ disabled: ['clock__*'] })
    expect(off.tools.map((t) => t.name)).to.deep.equal(['calc__add'])
    const on = await c.call<Tools>('Tools', { user: '', enable: ['clock__now'] })
    expect(on).to.deep.include({ enabled: ['clock__now'], disabled: ['clock__*'] })
    expect(on.tools.map((t) => t.name)).to.deep.equal(['clock__now', 'calc__add'])
    // and the agent is offered what the call shows
    await collectAnswer(c.ask('what time is it?'))
    expect(s.inference.prompts.at(-1)?.tools?.map((t) => t.name)).to.deep.equal(['calc__add', 'clock__now'])
  })

  it('should refuse a tool not granted with PERMISSION_DENIED, a bad name or one both on and off with INVALID_ARGUMENT, and another user\'s tools, changing nothing', async () => {
    const c = s.agent(s.annToken)
    const notGranted = await callFailure(c.call('Tools', { user: '', enable: ['files__read'] }))
    expect([notGranted.code, notGranted.details]).to.deep.equal([grpc.status.PERMISSION_DENIED, 'files__read is not granted to you: an admin grants tools (plexi admin users tools <you> --grant files__read)'])
    const badName = await callFailure(c.call('Tools', { user: '', disable: ['clock'] }))
    expect([badName.code, badName.details]).to.deep.equal([grpc.status.INVALID_ARGUMENT, 'invalid tool "clock": expected <source>__<tool> or <source>__* (a source: a-z, 0-9 and -, starting with a letter, at most 24; a tool: letters, digits, _ and -; at most 64 in all)'])
    expect((await callFailure(c.call('Tools', { user: '', enable: ['clock__now'], disable: ['clock__now'] }))).code).to.equal(grpc.status.INVALID_ARGUMENT)
    expect((await callFailure(c.call('Tools', { user: '', disable: Array.from({ length: 65 }, (_, i) => `s__t${i}`) }))).code).to.equal(grpc.status.INVALID_ARGUMENT)
    expect((await callFailure(s.agent(s.bobToken).call('Tools', { user: 'ann', disable: ['clock__*'] }))).code).to.equal(grpc.status.PERMISSION_DENIED)
    expect(await s.toolPolicy.view('ann')).to.deep.equal({ granted: ['calc__add', 'clock__*'], enabled: [], disabled: [] })
  })

  it('should answer UNIMPLEMENTED on a node without tool policies', async () => {
    await s.stop()
    s = await GrpcServices.start()
    const err = await callFailure(s.agent(s.annToken).call('Tools', { user: '' }))
    expect(err.code).to.equal(grpc.status.UNIMPLEMENTED)
    expect(err.details).to.match(/^this node has no tools set up for agents/)
  })
})
