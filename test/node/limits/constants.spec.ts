import { expect } from 'chai'
import { MAX_CLIENTS, MAX_HOPS, MAX_JSON_DEPTH } from '../../../node/limits/index.ts'

describe('limits constants', () => {
  it('should keep the buckets of many clients in a few MiB', () => {
    // a bucket is two numbers and a key (an address): about 100 bytes
    expect(MAX_CLIENTS * 100).to.be.at.most(16 * 1024 * 1024)
    expect(MAX_CLIENTS).to.be.at.least(10_000)
  })

  it('should take any real body and proxy chain, and refuse what only a client makes up', () => {
    // the deepest body an endpoint takes nests 4 levels
    expect(MAX_JSON_DEPTH).to.be.within(8, 1_000)
    expect(MAX_HOPS).to.be.within(4, 64)
  })
})
