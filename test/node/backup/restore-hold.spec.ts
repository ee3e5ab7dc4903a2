import { expect } from 'chai'
import { ROOM } from '../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../actors/index.ts'
import { RESTORE_HOLD_PATH, checkRestoreHoldMsg, spawnRestoreHold } from '../../../node/backup/index.ts'
import type { RestoreHoldMsg } from '../../../node/backup/index.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('restoreHold', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const replyTo = { askId: 'a1', node: 'n1' }

  it('should pass hold and unhold of an entity id, and refuse anything else', () => {
    expect(checkRestoreHoldMsg({ type: 'hold', entity: 'room/general', replyTo })).to.deep.equal({ type: 'hold', entity: 'room/general', replyTo })
    expect(checkRestoreHoldMsg({ type: 'unhold', entity: 'agent/ann', replyTo }).type).to.equal('unhold')
    for (const bad of [null, 'hold', { type: 'hold', entity: 'room/general' }, { type: 'drop', entity: 'room/general', replyTo }, { type: 'hold', entity: 'no-slash', replyTo }, { type: 'hold', entity: 7, replyTo }]) {
      expect(thrown(() => checkRestoreHoldMsg(bad))?.name, JSON.stringify(bad)).to.equal('InvalidPeerRequestError')
    }
  })

  it('should hold a live room still, its posts waiting, and let them go on in order once it is let go', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    for (const n of [a, b]) spawnRestoreHold(n.system, n.cluster.port, { warn: () => undefined })
    const room = a.system.entity(ROOM, 'general')
    const postTo = async (text: string): Promise<PostAck> => await room.ask<PostAck>((r) => ({ type: 'post', user: 'ann', text, replyTo: r }), { timeout: 20_000 })
    expect((await postTo('before')).seq).to.equal(1)
    const owner = a.cluster.placement.ownerOf('room', 'chat', 'general') as string
    const hold = a.system.actorAt<RestoreHoldMsg>({ node: owner, path: RESTORE_HOLD_PATH })
    const ask = async (type: 'hold' | 'unhold', entity = 'room/general'): Promise<string> => await hold.ask<string>((r) => ({ type, entity, replyTo: r }), { timeout: 20_000 })
    expect(await ask('hold', 'room/nobody-posted-here')).to.equal('not-active')
    expect(await ask('hold')).to.equal('held')
    expect(await ask('hold'), 'held already').to.equal('held')
    let answered = 0
    const during = [postTo('during 1'), postTo('during 2')].map(async (p) => { const ack = await p; answered++; return ack })
    // the hold's own round trip: the posts sent before it are waiting, not answered
    expect(await ask('hold')).to.equal('held')
    expect(answered).to.equal(0)
    expect(await ask('unhold')).to.equal('ok')
    expect((await Promise.all(during)).map((ack) => ack.seq)).to.deep.equal([2, 3])
    const history = await room.ask<ChatMessage[]>((r) => ({ type: 'history', after: 0, limit: 10, replyTo: r }), { timeout: 10_000 })
    expect(history.map((m) => m.text)).to.deep.equal(['before', 'during 1', 'during 2'])
    expect(await ask('unhold'), 'not held').to.equal('ok')
  })
})
