import { expect } from 'chai'
import { ActorSystem, isActorAddress } from '../../../actors/index.ts'
import { MAX_ACTOR_PATH_LENGTH, MAX_NODE_ID_LENGTH } from '../../../protocols/index.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('ActorRef', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem({ node: 'node-a' }) })
  afterEach(async () => { await system.terminate() })

  it('should carry its node and path as an address, and stay valid across restarts', async () => {
    const ref = system.spawn(counter, { name: 'kept' })
    expect([ref.node, ref.path, String(ref)]).to.deep.equal(['node-a', '/kept', 'ActorRef(/kept)'])
    expect(ref.address).to.deep.equal({ node: 'node-a', path: '/kept' })
    ref.tell({ type: 'inc', by: 1 })
    await ref.ask<number>((replyTo) => ({ type: 'fail', replyTo })).catch(() => undefined)
    await waitFor(() => system.stats.restarts === 1, 'the restart')
    ref.tell({ type: 'inc', by: 2 })
    expect(await countOf(ref), 'the restarted actor starts afresh, through the same ref').to.equal(2)
  })

  it('should take as an address only a node id and an absolute path within the wire\'s limits', () => {
    expect(isActorAddress({ node: 'n', path: '/a' })).to.equal(true)
    expect(isActorAddress({ node: 'n'.repeat(MAX_NODE_ID_LENGTH), path: `/${'p'.repeat(MAX_ACTOR_PATH_LENGTH - 1)}` })).to.equal(true)
    for (const bad of [null, 'n/a', {}, { node: '', path: '/a' }, { node: 'n', path: 'a' }, { node: 'n'.repeat(MAX_NODE_ID_LENGTH + 1), path: '/a' },
      { node: 'n', path: `/${'p'.repeat(MAX_ACTOR_PATH_LENGTH)}` }, { node: 1, path: '/a' }]) {
      expect(isActorAddress(bad), JSON.stringify(bad)).to.equal(false)
    }
  })
})
