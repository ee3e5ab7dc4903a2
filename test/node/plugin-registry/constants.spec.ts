import { expect } from 'chai'
import { MAX_PACKAGE_BYTES } from '../../../protocols/plugins/index.ts'
import { LOG_LINES_PER_PLUGIN, MAX_ENTRY_BYTES, MAX_LOGS_PAGE, MAX_UNPACKED_BYTES, RECONCILE_INTERVAL_MS, START_RETRY_FIRST_MS, START_RETRY_MAX_MS } from '../../../node/plugin-registry/index.ts'

describe('plugin registry constants', () => {
  it('should hold together: a package unpacks to more than it weighs, a page holds what is kept, retries back off', () => {
    expect(MAX_UNPACKED_BYTES).to.be.above(MAX_PACKAGE_BYTES)
    expect(MAX_ENTRY_BYTES).to.be.at.most(MAX_UNPACKED_BYTES)
    expect(MAX_LOGS_PAGE).to.equal(LOG_LINES_PER_PLUGIN)
    expect(START_RETRY_FIRST_MS).to.be.below(START_RETRY_MAX_MS)
    expect(RECONCILE_INTERVAL_MS).to.be.at.least(1_000)
  })
})
