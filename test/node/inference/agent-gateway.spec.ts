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

  it('should hand a request\'s events (tokens, queue positions, tool calls and results) to the call waiting for it, in order, and reply to a detach once they all were', async () => {
    const got: string[] = []
    const shown = (e: AgentStreamEvent['event']): string =>
      e.kind === 'token' ? e.text : e.kind === 'queued' ? `queued ${e.position}` : e.kind === 'tool-call' ? `call ${e.name} ${e.arguments}` : `result ${e.name} ${e.text}`
    gateway.tell({ type: 'attach', requestId: 'r1', sink: { event: (e) => { got.push(shown(e)) } } })
    gateway.tell({ type: 'agent-stream', requestId: 'r1', event: { kind: 'queued', position: 2 } })
    gateway.tell(token('r1', 'Hel'))
    gateway.tell(token('r2', 'not for r1'))
    gateway.tell({ type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-call', id: 'c1', name: 'clock__now', arguments: '{"zone":"UTC"}' } })
    gateway.tell({ type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-result', id: 'c1', name: 'clock__now', isError: false, text: '12:00', clipped: false } })
    gateway.tell(token('r1', 'lo'))
    await gateway.ask<void>((replyTo) => ({ type: 'detach', requestId: 'r1', replyTo }))
    expect(got).to.deep.equal(['queued 2', 'Hel', 'call clock__now {"zone":"UTC"}', 'result clock__now 12:00', 'lo'])
    // after the detach, its events are dropped
    gateway.tell(token('r1', 'late'))
    gateway.tell({ type: 'detach', requestId: 'r1' })
    await gateway.ask<void>((replyTo) => ({ type: 'detach', requestId: 'r9', replyTo }))
    expect(got).to.deep.equal(['queued 2', 'Hel', 'call clock__now {"zone":"UTC"}', 'result clock__now 12:00', 'lo'])
  })

  it('should take only well-formed stream events from other nodes: never an attach or a detach', () => {
    const check = agentGateway().checkPeer
    expect(check).to.be.a('function')
    check?.(token('r1', 'ok'))
    check?.({ type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-call', id: 'c1', name: 'clock__now', arguments: '{}' } })
    check?.({ type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-result', id: 'c1', name: 'clock__now', isError: true, text: '', clipped: false } })
    for (const bad of [
      { type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-call', id: 'c1', name: 'clock__now', arguments: '' } },
      { type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-result', id: 'c1', name: 'clock__now', isError: 'no', text: '', clipped: false } },
      { type: 'agent-stream', requestId: 'r1', event: { kind: 'tool-result', id: 'c1', name: 'clock__now', isError: false, text: 'x'.repeat(5000), clipped: true } },
      { type: 'attach', requestId: 'r1', sink: {} },
      { type: 'detach', requestId: 'r1' },
      { type: 'agent-stream', requestId: 'r1', event: { kind: 'shout', text: 'x' } },
      { type: 'agent-stream', event: { kind: 'token', text: 'x' } },
      'agent-stream'
    ]) expect(() => check?.(bad), JSON.stringify(bad)).to.throw().with.property('name', 'InvalidMessageError')
  })
})
