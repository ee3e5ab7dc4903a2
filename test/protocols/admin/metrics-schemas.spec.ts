import { expect } from 'chai'
import { statsSampleSchema } from '../../../protocols/admin/metrics-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('statsSampleSchema', () => {
  it('should fit a sample with no ask ended in its interval, and every member\'s load', () => {
    const check = validatorOf(statsSampleSchema)
    const sample = {
      ts: 1, postsPerSec: 2, deliveriesPerSec: 0, asksPerSec: 0, askMeanMs: null, askP99Ms: null, tokensPerSec: 0, rssBytes: 1, heapUsedBytes: 1, actors: 3, entities: 1,
      members: [{ peerId: 'p', status: 'up', rssBytes: 1, actors: 3, entities: 1, mailbox: 0 }]
    }
    expect(check(sample).ok).to.equal(true)
    expect(check({ ...sample, members: [{ peerId: 'p' }] }).errors).to.include("/members/0 must have required property 'status'")
    expect(check({ ...sample, askMeanMs: 'slow' }).errors).to.include('/askMeanMs must be number,null')
  })
})
