import { expect } from 'chai'
import { MAX_PLUGINS } from '../../../actors/index.ts'
import { MAX_ENTRY_BYTES, MAX_LOGS_PAGE, MAX_TRACKED_SOURCES, MAX_UNPACKED_BYTES, RECONCILE_INTERVAL_MS, START_RETRY_FIRST_MS, START_RETRY_MAX_MS } from '../../../node/plugin-registry/index.ts'
import { MAX_PACKAGE_BYTES } from '../../../protocols/plugins/index.ts'

describe('plugin registry constants', () => {
  it('should hold together: a package unpacks to more than it weighs, every plugin\'s calls are counted, retries back off', () => {
    expect(MAX_UNPACKED_BYTES).to.be.above(MAX_PACKAGE_BYTES)
    expect(MAX_ENTRY_BYTES).to.be.at.most(MAX_UNPACKED_BYTES)
    expect(MAX_LOGS_PAGE).to.be.at.least(1)
    expect(MAX_TRACKED_SOURCES, 'every plugin\'s calls are counted').to.be.above(MAX_PLUGINS)
    expect(START_RETRY_FIRST_MS).to.be.below(START_RETRY_MAX_MS)
    expect(RECONCILE_INTERVAL_MS).to.be.at.least(1_000)
  })
})
