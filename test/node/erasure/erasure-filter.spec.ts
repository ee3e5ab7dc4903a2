import { expect } from 'chai'
import { ROOM } from '../../../actors/index.ts'
import type { ChatMessage } from '../../../actors/index.ts'
import { ErasureFilter } from '../../../node/erasure/index.ts'
import { ErasureRig } from '../../helpers/erasure-rig.ts'
import type { StoredRecord } from '../../../node/replication/index.ts'

describe('ErasureFilter', () => {
  const filter = new ErasureFilter({ users: [{ name: 'alice', by: 'admin', ts: 1 }], redactions: { general: [[3, 3]] } })
  const post = (seq: number, user: string, text: string): StoredRecord => ({ seq, epoch: 1, event: { type: 'message-posted', user, text, ts: seq } })

  it('should write an erased user\'s posts, their agent\'s, and logged redactions without their text', () => {
    const records = [post(1, 'alice', 'mine'), post(2, 'bob', 'his'), post(3, 'bob', 'redacted later'), post(4, "alice's agent", 'answer'), post(5, "bob's agent", 'other')]
    const out = filter.records('room/general', records) as StoredRecord[]
    expect(out.map((r) => (r.event as { text: string }).text)).to.deep.equal(['', 'his', '', '', 'other'])
    expect((out[0]?.event as { redacted?: unknown }).redacted).to.include({ by: 'erasure-log' })
    expect(out[1]).to.equal(records[1])
    expect(filter.records('room/random', [post(3, 'bob', 'kept')])?.map((r) => (r.event as { text: string }).text)).to.deep.equal(['kept'])
    const imported = { seq: 1, epoch: 1, event: { type: 'message-posted', user: 'bob', text: 'alice wrote it', ts: 1, importedFrom: { source: 's', seq: 4, user: 'alice', ts: 1 } } }
    expect((filter.records('room/random', [imported])?.[0]?.event as { text: string }).text).to.equal('')
  })

  it('should write an erased user\'s add to the user directory as a removal, and keep the others\'', () => {
    const added = (seq: number, name: string): StoredRecord => ({ seq, epoch: 1, event: { type: 'user-added', name, tokenHash: 'a'.repeat(64), ts: 5 } })
    const out = filter.records('users/all', [added(1, 'bob'), added(2, 'alice')]) as StoredRecord[]
    expect(out.map((r) => r.event)).to.deep.equal([added(1, 'bob').event, { type: 'user-removed', name: 'alice', ts: 5 }])
  })

  it('should leave out an erased user\'s agent and tool policy, and the erasure log itself', () => {
    expect(filter.records('agent/alice', [post(1, 'alice', 'x')])).to.equal(null)
    expect(filter.records('tool-policy/alice', [])).to.equal(null)
    expect(filter.records('erasures/all', [])).to.equal(null)
    const log = [{ seq: 1, epoch: 1, event: { type: 'user-erased', name: 'zed', by: 'admin', ts: 1 } }]
    expect(new ErasureFilter({ users: [], redactions: {} }).records('erasures/all', log), 'a cluster with no log takes the backup\'s').to.equal(log)
    const bobs = [post(1, 'bob', 'x')]
    expect(filter.records('agent/bob', bobs)).to.equal(bobs)
  })

  it('should hand back the very records when the log is empty', () => {
    const records = [post(1, 'alice', 'x')]
    expect(new ErasureFilter({ users: [], redactions: {} }).records('room/general', records)).to.equal(records)
  })

  it('should say which entities its records may change, without looking at them (a restore reads none of those it leaves alone)', () => {
    const empty = new ErasureFilter({ users: [], redactions: {} })
    const redactedOnly = new ErasureFilter({ users: [], redactions: { general: [[3, 3]] } })
    const cases: Array<[ErasureFilter, string, boolean]> = [
      [filter, 'room/random', true], [filter, 'agent/alice', true], [filter, 'agent/bob', false], [filter, 'tool-policy/alice', true],
      [filter, 'users/all', true], [filter, 'erasures/log', true], [filter, 'rooms/all', false],
      [empty, 'room/general', false], [empty, 'users/all', false], [empty, 'agent/alice', false], [empty, 'erasures/log', true],
      [redactedOnly, 'room/general', true], [redactedOnly, 'room/random', false], [redactedOnly, 'users/all', false]
    ]
    for (const [f, entity, touches] of cases) expect(f.touches(entity), entity).to.equal(touches)
    // and it agrees with what records does: an entity it says it leaves alone gets the very records back
    const records = [post(1, 'alice', 'x'), post(3, 'bob', 'y')]
    for (const [f, entity, touches] of cases) if (!touches) expect(f.records(entity, records), entity).to.equal(records)
  })

  describe('after', () => {
    let rig: ErasureRig
    beforeEach(async () => { rig = await new ErasureRig().open() })
    afterEach(async () => { await rig.close() })

    it('should carry out again, through the entities, what the backup held of the log: the user removed, their posts and the logged seqs redacted', async () => {
      await rig.users.add('alice')
      await rig.post('general', 'alice', 'hers')
      await rig.post('general', 'bob', 'his, redacted since')
      await rig.post('general', 'bob', 'his, kept')
      const live = new ErasureFilter({ users: [{ name: 'alice', by: 'admin', ts: 1 }], redactions: { general: [[2, 2]] } }, rig.system)
      const backupRooms: StoredRecord[] = [post(1, 'alice', 'hers'), post(2, 'bob', 'his, redacted since'), post(3, 'bob', 'his, kept')]
      live.records('room/general', backupRooms)
      live.records('users/all', [{ seq: 1, epoch: 1, event: { type: 'user-added', name: 'alice', tokenHash: 'a'.repeat(64), ts: 1 } }])
      await live.after('users/all')
      await live.after('room/general')
      await live.after('room/general')
      expect(await rig.users.get('alice')).to.equal(null)
      const history = await rig.system.entity(ROOM, 'general').ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))
      expect(history.filter((m) => m.kind === 'message').map((m) => [m.user, m.text, m.redacted ?? false])).to.deep.equal([['alice', '', true], ['bob', '', true], ['bob', 'his, kept', false]])
      await live.after('room/other')
    })
  })
})
