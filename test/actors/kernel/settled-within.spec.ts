import { expect } from 'chai'
import { settledWithin } from '../../../actors/kernel/settled-within.ts'

describe('settledWithin', () => {
  it('should say true for a promise that resolves or rejects within the time, false for one that does not', async () => {
    expect(await settledWithin(Promise.resolve(1), 1_000)).to.equal(true)
    expect(await settledWithin(Promise.reject(new Error('no')), 1_000)).to.equal(true)
    expect(await settledWithin(new Promise(() => {}), 1)).to.equal(false)
  })
})
