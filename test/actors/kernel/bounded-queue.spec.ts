import { expect } from 'chai'
import fc from 'fast-check'
import { BoundedQueue } from '../../../actors/kernel/bounded-queue.ts'

describe('BoundedQueue', () => {
  it('should behave like an array FIFO capped at its capacity', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.oneof(fc.constant<'shift'>('shift'), fc.integer())), (capacity, ops) => {
      const queue = new BoundedQueue<number>(capacity)
      const model: number[] = []
      for (const op of ops) {
        if (op === 'shift') {
          expect(queue.shift()).to.equal(model.shift())
        } else {
          const accepted = queue.push(op)
          expect(accepted).to.equal(model.length < capacity)
          if (accepted) model.push(op)
        }
        expect(queue.length).to.equal(model.length)
      }
      expect(queue.drain()).to.deep.equal(model)
      expect(queue.length).to.equal(0)
    }))
  })

  it('should let force() go past the capacity, and refuse a bad capacity', () => {
    const queue = new BoundedQueue<string>(1)
    expect(queue.push('a')).to.equal(true)
    expect(queue.push('b')).to.equal(false)
    queue.force('c')
    expect(queue.drain()).to.deep.equal(['a', 'c'])
    expect(() => new BoundedQueue(0)).to.throw(/positive integer/)
  })
})
