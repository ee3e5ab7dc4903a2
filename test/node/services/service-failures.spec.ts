import { expect } from 'chai'
import { ServiceFailures } from '../../../node/services/index.ts'

describe('ServiceFailures', () => {
  it('should count failed runs per service, and none for a service that never failed', () => {
    const failures = new ServiceFailures()
    expect(failures.of('scrub')).to.equal(0)
    expect(failures.entries()).to.deep.equal([])
    failures.add('scrub')
    failures.add('scrub')
    failures.add('anti-entropy')
    expect(failures.of('scrub')).to.equal(2)
    expect(failures.entries()).to.deep.equal([['scrub', 2], ['anti-entropy', 1]])
  })
})
