import { expect } from 'chai'
import { MAX_PLUGIN_MESSAGE_BYTES, MAX_SERVER_ERROR, PLUGIN_CLOSE_DRAIN_MS, PLUGIN_DRAIN_MS, PLUGIN_MEMORY_SAMPLE_MS, PLUGIN_PING_INTERVAL_MS, PLUGIN_STOP_GRACE_MS, SERVER_STATUS_ASK_MS } from '../../../node/plugins/index.ts'
import { SERVICE_STOP_WAIT_MS } from '../../../node/services/index.ts'
import { PART_STOP_MS } from '../../../node/lifecycle.ts'
import { DEFAULT_TOOL_DEADLINE_MS, MAX_TOOL_RESULT_BYTES } from '../../../protocols/index.ts'

describe('plugin constants', () => {
  it('should keep a plugin\'s stop within a service\'s stop wait, and a drain as long as the longest call', () => {
    expect(PLUGIN_STOP_GRACE_MS).to.be.below(SERVICE_STOP_WAIT_MS)
    expect(PLUGIN_DRAIN_MS).to.be.at.least(DEFAULT_TOOL_DEADLINE_MS)
    // a node's stop: the plugins part drains and stops its plugins within a part's time to stop
    expect(PLUGIN_CLOSE_DRAIN_MS + PLUGIN_STOP_GRACE_MS).to.be.below(PART_STOP_MS)
  })

  it('should let a full tool result through a message, and read memory more often than it pings', () => {
    expect(MAX_PLUGIN_MESSAGE_BYTES).to.be.above(2 * MAX_TOOL_RESULT_BYTES)
    expect(PLUGIN_MEMORY_SAMPLE_MS).to.be.below(PLUGIN_PING_INTERVAL_MS)
  })

  it('should ask members for their servers within an admin request\'s patience, and keep an error short enough to show', () => {
    expect(SERVER_STATUS_ASK_MS).to.be.at.most(3_000)
    expect(MAX_SERVER_ERROR).to.be.within(200, 4_096)
  })
})
