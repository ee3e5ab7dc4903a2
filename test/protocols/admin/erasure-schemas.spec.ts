import { expect } from 'chai'
import { redactAckSchema, retentionSchema, retentionSettingSchema, retentionViewSchema } from '../../../protocols/admin/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('erasure schemas', () => {
  it('should take a retention of days and/or posts, whole and in range, and nothing else', () => {
    const check = validatorOf(retentionSchema)
    expect(check({ days: 30 }).ok).to.equal(true)
    expect(check({ days: 1, posts: 100 }).ok).to.equal(true)
    for (const bad of [{}, { days: 0 }, { posts: 1.5 }, { days: 1, forever: true }]) expect(check(bad).ok, JSON.stringify(bad)).to.equal(false)
  })

  it('should take a room\'s setting as a retention, "forever" or null', () => {
    const check = validatorOf(retentionSettingSchema)
    for (const ok of [{ posts: 5 }, 'forever', null]) expect(check(ok).ok, JSON.stringify(ok)).to.equal(true)
    for (const bad of ['always', 5, {}]) expect(check(bad).ok, JSON.stringify(bad)).to.equal(false)
  })

  it('should fit a redaction\'s answer and the retention view', () => {
    expect(validatorOf(redactAckSchema)({ room: 'r', seq: 1, redactionSeq: 2, ts: 3, already: false }).ok).to.equal(true)
    expect(validatorOf(redactAckSchema)({ room: 'r', seq: 1 }).ok).to.equal(false)
    expect(validatorOf(retentionViewSchema)({ defaults: null, rooms: { a: 'forever', b: { days: 2 } } }).ok).to.equal(true)
  })
})
