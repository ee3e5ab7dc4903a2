import { expect } from 'chai'
import { EnvelopeKinds, MAX_ENVELOPE_KINDS } from '../../../node/mesh/envelope-kinds.ts'
import { ENVELOPE } from '../../../protocols/p2p/index.ts'

describe('EnvelopeKinds', () => {
  it('should count envelopes by entity type and message, actor path, message and replica op', () => {
    const kinds = new EnvelopeKinds()
    kinds.count([ENVELOPE.ENTITY, 'agent', 'alice', { type: 'get-settings' }, 0, ''])
    kinds.count([ENVELOPE.ENTITY, 'agent', 'bob', { type: 'get-settings' }, 0, ''])
    kinds.count([ENVELOPE.ACTOR, '/shard-12', { type: 'replica', request: { op: 'lease' } }])
    kinds.count([ENVELOPE.ACTOR, '/membership@2', { type: 'ping' }])
    kinds.count([ENVELOPE.REPLY, 'a1', { ok: true }])
    kinds.count([ENVELOPE.FAILURE, 'a2', { name: 'E', message: 'm', kind: 'internal' }])
    expect(new Map(kinds.entries())).to.deep.equal(new Map([
      ['entity agent get-settings', 2], ['actor shard replica lease', 1], ['actor membership ping', 1], ['reply', 1], ['failure', 1]
    ]))
  })

  it('should count what is no kebab-case word as other, and kinds past the bound as other', () => {
    const kinds = new EnvelopeKinds()
    kinds.count([ENVELOPE.ENTITY, 'Agent Type!', 'k', 'a string', 0, ''])
    for (let i = 0; i < MAX_ENVELOPE_KINDS * 2; i++) kinds.count([ENVELOPE.ENTITY, 'room', 'k', { type: `m${i}` }, 0, ''])
    const counts = new Map(kinds.entries())
    expect(counts.get('entity other other')).to.equal(1)
    expect(counts.size).to.equal(MAX_ENVELOPE_KINDS)
    expect([...counts.values()].reduce((a, b) => a + b, 0)).to.equal(1 + MAX_ENVELOPE_KINDS * 2)
    expect(counts.get('other')).to.equal(MAX_ENVELOPE_KINDS * 2 - (MAX_ENVELOPE_KINDS - 2))
  })
})
