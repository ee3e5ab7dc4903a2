import { expect } from 'chai'
import { addRecordOps, addTouches, isIndexed, noOps, opsSize } from '../../../node/search/index.ts'

describe('addRecordOps', () => {
  it('should index room posts and agent turns, and drop what replaces or redacts them', () => {
    const ops = noOps()
    addRecordOps(ops, 3, 'room/r', [
      { seq: 1, event: { type: 'message-posted', user: 'ann', text: 'hello', ts: 5 } },
      { seq: 2, event: { type: 'member-joined', user: 'bob', ts: 6 } },
      { seq: 3, event: { type: 'message-posted', user: 'ann', text: '', ts: 7, redacted: { by: 'ann' } } },
      { seq: 4, event: { type: 'message-redacted', seq: 1, by: 'ann', ts: 8 } },
      { seq: 5, event: { type: 'message-posted', user: 'ann', text: 'still text', ts: 9, redacted: true } },
      { seq: 6, event: null }
    ], true)
    expect(ops.put).to.deep.equal([{ partition: 3, entity: 'room/r', seq: 1, author: 'ann', ts: 5, text: 'hello' }])
    expect(ops.remove).to.deep.equal([['room/r', 2], ['room/r', 3], ['room/r', 5], ['room/r', 6]])
    expect(ops.redact).to.deep.equal([['room/r', 1]])
    const agent = noOps()
    addRecordOps(agent, 0, 'agent/ann', [
      { seq: 1, event: { type: 'user-asked', requestId: 'r', text: 'what did we decide?', ts: 1 } },
      { seq: 2, event: { type: 'agent-answered', requestId: 'r', text: 'postgres', model: 'm', stopReason: 'stop', ts: 2 } },
      { seq: 3, event: { type: 'history-reset', ts: 3 } }
    ], false)
    expect(agent.put.map((r) => [r.author, r.text])).to.deep.equal([['ann', 'what did we decide?'], ['agent', 'postgres']])
    expect(agent.remove, 'a rebuild into an empty index removes nothing').to.deep.equal([])
    expect(opsSize(agent)).to.equal(2)
  })

  it('should index an imported post as its original author\'s at its original time, and an imported batch of agent turns as one row', () => {
    const ops = noOps()
    addRecordOps(ops, 1, 'room/r', [
      { seq: 1, event: { type: 'message-posted', user: 'loader', text: 'old news', ts: 9_000, importedFrom: { source: 's', seq: 7, user: 'bob', ts: 1_000 } } }
    ], true)
    expect(ops.put).to.deep.equal([{ partition: 1, entity: 'room/r', seq: 1, author: 'bob', ts: 1_000, text: 'old news' }])
    const agent = noOps()
    addRecordOps(agent, 0, 'agent/ann', [{
      seq: 4,
      event: {
        type: 'turns-imported',
        source: 's',
        ts: 5,
        turns: [
          { requestId: 'a', role: 'user', content: 'which database?', ts: 1 },
          { requestId: 'a', role: 'tool', content: '{"rows":3}', ts: 2 },
          { requestId: 'a', role: 'assistant', content: 'postgres', ts: 3 }
        ]
      }
    }], true)
    expect(agent.put).to.deep.equal([{ partition: 0, entity: 'agent/ann', seq: 4, author: 'ann', ts: 5, text: 'which database?\npostgres' }])
  })

  it('should note every user a room\'s records name, kept through a redaction (what an erasure asks by)', () => {
    const ops = noOps()
    addRecordOps(ops, 2, 'room/r', [
      { seq: 1, event: { type: 'message-posted', user: 'ann', text: 'one', ts: 1 } },
      { seq: 2, event: { type: 'message-posted', user: 'ann', text: 'two', ts: 2 } },
      { seq: 3, event: { type: 'member-joined', user: 'cid', ts: 3 } },
      { seq: 4, event: { type: 'message-posted', user: "ann's agent", text: '', ts: 4, redacted: { by: 'ann', ts: 5 } } },
      { seq: 5, event: { type: 'message-posted', user: 'loader', text: 'old', ts: 6, importedFrom: { source: 's', seq: 1, user: 'bob', ts: 1 } } },
      { seq: 6, event: { type: 'member-left', user: 'dee', ts: 7 } },
      { seq: 7, event: { type: 'message-redacted', seq: 1, by: 'ann', ts: 8 } }
    ], true)
    expect(ops.touch).to.deep.equal([['room/r', 'ann', 2], ['room/r', 'cid', 2], ['room/r', "ann's agent", 2], ['room/r', 'loader', 2], ['room/r', 'bob', 2]])
    // an agent's conversation is erased whole: nothing noted
    const agent = noOps()
    addTouches(agent, 0, 'agent/ann', [{ seq: 1, event: { type: 'message-posted', user: 'ann', text: 'x', ts: 1 } }])
    expect(agent.touch).to.deep.equal([])
  })

  it('should follow rooms and agents only', () => {
    expect(['room/a', 'agent/b', 'users/x', 'rooms/all'].map(isIndexed)).to.deep.equal([true, true, false, false])
  })
})
