import { expect } from 'chai'
import { EntityTurns } from '../../../../node/replication/replica/entity-turns.ts'
import { deferred } from '../../../helpers/wait-for.ts'

describe('EntityTurns', () => {
  it('should run one entity\'s work in the order it came, even when one fails, and another entity\'s alongside', async () => {
    const turns = new EntityTurns()
    const order: string[] = []
    const gate = deferred()
    const first = turns.inTurn('room/a', async () => { await gate.promise; order.push('a1') })
    const failing = turns.inTurn('room/a', async () => { order.push('a2'); throw new Error('a2 failed') })
    const third = turns.inTurn('room/a', async () => { order.push('a3'); return 3 })
    // room/b does not wait for room/a
    expect(await turns.inTurn('room/b', async () => { order.push('b1'); return 'b' })).to.equal('b')
    expect(order).to.deep.equal(['b1'])
    gate.resolve()
    await first
    expect(await failing.then(() => null, (e: Error) => e.message)).to.equal('a2 failed')
    expect(await third).to.equal(3)
    expect(order).to.deep.equal(['b1', 'a1', 'a2', 'a3'])
    // nothing queued once every turn ended
    await new Promise((resolve) => setImmediate(resolve))
    expect(turns.queued).to.equal(0)
  })

  it('should run work of several entities after each one\'s earlier work and before its later work', async () => {
    const turns = new EntityTurns()
    const order: string[] = []
    const gate = deferred()
    void turns.inTurn('room/a', async () => { await gate.promise; order.push('a-before') })
    const both = turns.inTurns(['room/a', 'room/b', 'room/a'], async () => { order.push('both'); return 2 })
    const after = turns.inTurn('room/b', async () => { order.push('b-after') })
    gate.resolve()
    expect(await both).to.equal(2)
    await after
    expect(order).to.deep.equal(['a-before', 'both', 'b-after'])
    // none at all: it runs at once
    expect(await turns.inTurns([], async () => 'none')).to.equal('none')
  })

  it('should forget the entities whose work ended, and still order one that has work again', async () => {
    const turns = new EntityTurns()
    const order: string[] = []
    // more entities than it keeps idle, each with work twice: one after the other
    await Promise.all(Array.from({ length: 3_000 }, async (_, i) => {
      await turns.inTurn(`room/${i}`, async () => { order.push(`${i}a`) })
      await turns.inTurn(`room/${i}`, async () => { order.push(`${i}b`) })
    }))
    expect(turns.queued).to.equal(0)
    for (let i = 0; i < 3_000; i++) expect(order.indexOf(`${i}a`)).to.be.lessThan(order.indexOf(`${i}b`))
    const gate = deferred()
    const first = turns.inTurn('room/7', async () => { await gate.promise; order.push('7c') })
    const second = turns.inTurn('room/7', async () => { order.push('7d') })
    expect(turns.queued).to.equal(1)
    gate.resolve()
    await Promise.all([first, second])
    expect(order.slice(-2)).to.deep.equal(['7c', '7d'])
    // a function that throws rather than rejecting fails its own work only
    expect(await turns.inTurn('room/7', () => { throw new Error('thrown') }).then(() => null, (e: Error) => e.message)).to.equal('thrown')
    expect(await turns.inTurn('room/7', async () => 'after')).to.equal('after')
  })
})
