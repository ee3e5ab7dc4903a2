import { expect } from 'chai'
import { MAX_EXPORT_PAGE_RECORDS } from '../../../actors/index.ts'
import { EXPORT_PAGES_IN_FLIGHT, EXPORT_PAGE_RECORDS, LOCAL_PAGE_RECORDS, TRANSFER_ASK_TIMEOUT_MS } from '../../../node/transfer/index.ts'

describe('transfer tuning', () => {
  it('should ask for pages an entity gives whole, a few ahead, and wait for a batch longer than an ask\'s default', () => {
    expect(EXPORT_PAGE_RECORDS).to.be.at.most(MAX_EXPORT_PAGE_RECORDS)
    expect(EXPORT_PAGES_IN_FLIGHT).to.be.within(2, 8)
    expect(TRANSFER_ASK_TIMEOUT_MS).to.be.at.least(10_000)
  })

  it('should read this node\'s replica in smaller pages than it asks an owner for', () => {
    expect(LOCAL_PAGE_RECORDS).to.be.within(100, EXPORT_PAGE_RECORDS)
  })
})
