import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef, AgentStreamEvent } from '../../../actors/index.ts'
import { agentGateway } from '../../../node/inference/index.ts'
import type { AgentGatewayMsg } from '../../../node/inference/index.ts'

describe('agentGateway (a real actor system)', () => {
  let system: ActorSystem
  let gateway: ActorRef<AgentGatewayMsg>
  beforeEach(() => {
    system = new ActorSystem({ node: 'n1' })
    gateway = system.spawn(agentGateway(), { name: 'agent-gateway' })
  })
  afterEach(async () => { await system.terminate() })
  const token = (requestId: string, text: string): AgentStreamEvent => ({ type: 'agent-stream', requestId, event: { kind: 'token', text } })

  it('should hand a request\'s events to the call waiting for it, in order, and reply to a detach once they all were', async () => {
    const got: string[] = []
    gateway.tell({ type: 'attach', requestId: 'r1', sink: { event: (e) => { got.push(e.kind === 'token' ? e.text : `queued ${e.position}`) } } })
    gateway.tell({ type: 'agent-stream', requestId: 'r1', event: { kind: 'queued', position: 2 } })
    gateway.tell(token('r1', 'Hel'))
    gateway.tell(token('r2', 'not for r1'))
    gateway.tell(token('r1', 'lo'))
    await gateway.ask<void>((replyTo) => ({ type: 'detach', requestId: 'r1', replyTo }))
    expect(got).to.deep.equal(['queued 2', 'Hel', 'lo'])
    // after the detach, its events are dropped
    gateway.tell(token('r1', 'late'))
    gateway.tell({ type: 'detach', requestId: 'r1' })
    await gateway.ask<void>((replyTo) => ({ type: 'detach', requestId: 'r9', replyTo }))
    expect(got).to.deep.equal(['queued 2', 'Hel', 'lo'])
  })

  it('should take only well-formed stream events from other nodes: never an attach or a detach', () => {
    const check = agentGateway().checkPeer
    expect(check).to.be.a('function')
    check?.(token('r1', 'ok'))
    for (const bad of [
      { type: 'attach', requestId: 'r1', sink: {} },
      { type: 'detach', requestId: 'r1' },
      { type: 'agent-stream', requestId: 'r1', event: { kind: 'shout', text: 'x' } },
      { type: 'agent-stream', event: { kind: 'token', text: 'x' } },
      'agent-stream'
    ]) expect(() => check?.(bad), JSON.stringify(bad)).to.throw().with.property('name', 'InvalidMessageError')
  })
})
