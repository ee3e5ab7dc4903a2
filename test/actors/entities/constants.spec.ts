import { expect } from 'chai'
import {
  AGENT_TOOL_DEADLINE_GRACE_MS, AGENT_TOOL_DEADLINE_MS, AGENT_TOOL_RESULT_BYTES, MAX_AGENT_TOOLS, MAX_TOOL_CALLS_PER_ROUND, MAX_TOOL_CALL_ID_LENGTH, MAX_TOOL_GRANTS,
  MAX_TOOL_ROUNDS, MAX_TOOL_SWITCHES, STREAM_TOOL_RESULT_BYTES, TOOL_LIST_TIMEOUT_MS
} from '../../../actors/entities/constants.ts'
import { DEFAULT_TOOL_DEADLINE_MS, MAX_CHAT_TEXT_BYTES, MAX_TOOLS_PER_SOURCE, MAX_TOOL_ARGS_BYTES, MAX_TOOL_NAMES_PER_CHANGE, MAX_TOOL_RESULT_BYTES } from '../../../protocols/index.ts'
import { MAX_FRAME_BYTES } from '../../../protocols/p2p/index.ts'

describe('agent tool constants', () => {
  it('should bound an ask: a few rounds of a few calls, each round one more generation', () => {
    expect(MAX_TOOL_ROUNDS).to.be.within(1, 8)
    expect(MAX_TOOL_CALLS_PER_ROUND).to.be.within(1, 16)
    expect(MAX_AGENT_TOOLS).to.be.at.least(MAX_TOOLS_PER_SOURCE)
  })

  it('should keep a round\'s journal event, and its stream events, far inside a mesh frame', () => {
    // a tools-answered event holds a round's results, a tools-called its calls' arguments
    expect(MAX_TOOL_CALLS_PER_ROUND * AGENT_TOOL_RESULT_BYTES).to.be.below(MAX_FRAME_BYTES / 8)
    expect(MAX_TOOL_CALLS_PER_ROUND * MAX_TOOL_ARGS_BYTES).to.be.below(MAX_FRAME_BYTES / 4)
    expect(AGENT_TOOL_RESULT_BYTES).to.be.at.most(MAX_TOOL_RESULT_BYTES)
    expect(STREAM_TOOL_RESULT_BYTES).to.be.below(AGENT_TOOL_RESULT_BYTES)
    expect(AGENT_TOOL_RESULT_BYTES).to.be.below(MAX_CHAT_TEXT_BYTES)
    expect(MAX_TOOL_CALL_ID_LENGTH).to.be.within(32, 256)
  })

  it('should give a call the contract\'s deadline and a short grace, and never hold a question long for its list of tools', () => {
    expect(AGENT_TOOL_DEADLINE_MS).to.equal(DEFAULT_TOOL_DEADLINE_MS)
    expect(AGENT_TOOL_DEADLINE_GRACE_MS).to.be.below(AGENT_TOOL_DEADLINE_MS / 4)
    expect(TOOL_LIST_TIMEOUT_MS).to.be.within(500, 5_000)
  })

  it('should let a policy hold more than one change names, and as many switches as grants', () => {
    expect(MAX_TOOL_GRANTS).to.be.at.least(MAX_TOOL_NAMES_PER_CHANGE)
    expect(MAX_TOOL_SWITCHES).to.equal(MAX_TOOL_GRANTS)
  })
})
