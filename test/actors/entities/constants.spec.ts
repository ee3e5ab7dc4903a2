import { expect } from 'chai'
import {
  AGENT_TOOL_DEADLINE_GRACE_MS, AGENT_TOOL_DEADLINE_MS, AGENT_TOOL_RESULT_BYTES, MAX_AGENT_TOOLS, MAX_TOOL_CALLS_PER_ROUND, MAX_TOOL_CALL_ID_LENGTH, MAX_TOOL_GRANTS,
  MAX_TOOL_ROUNDS, MAX_TOOL_SWITCHES, STREAM_TOOL_RESULT_BYTES, TOOL_LIST_TIMEOUT_MS
} from '../../../actors/entities/constants.ts'
import { DEFAULT_TOOL_DEADLINE_MS, MAX_CHAT_TEXT_BYTES, MAX_TOOLS_PER_SOURCE, MAX_TOOL_ARGS_BYTES, MAX_TOOL_NAMES_PER_CHANGE, MAX_TOOL_RESULT_BYTES } from '../../../protocols/index.ts'
import { MAX_FRAME_BYTES } from '../../../protocols/p2p/index.ts'
import {
  AFTER_POST_CHECKPOINT_EVERY, AFTER_POST_DEADLINE_MS, AFTER_POST_PAGE, AFTER_POST_RETRY_FIRST_MS, AFTER_POST_RETRY_MAX_MS, AFTER_POST_TICK_MS,
  AFTER_POST_UNWATCH_MS, COMMAND_NAME_PATTERN, MAX_AFTER_POST_BUFFERED, MAX_AFTER_POST_LAG, MAX_COMMAND_DEADLINE_MS, MAX_JUDGED_POSTS,
  MAX_PENDING_COMMANDS, MAX_REFUSAL_REASON, WATCH_TIMEOUT_MS, constants,
  EXPORT_PAGE_BYTES, MAX_EXPORT_PAGE_RECORDS, MAX_IMPORTED_AUTHOR_LENGTH, MAX_IMPORT_BATCH_BYTES, MAX_IMPORT_BATCH_POSTS, MAX_IMPORT_SOURCES, MAX_IMPORT_SOURCE_LENGTH
} from '../../../actors/index.ts'
import { MAX_BEFORE_POST_BUDGET_MS, MAX_HISTORY_LIMIT, USER_NAME_PATTERN } from '../../../protocols/index.ts'

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

describe('entity constants (commands and post hooks)', () => {
  it('should let a post\'s hooks and its note to the after-post hooks end within the ask a client\'s post waits on', () => {
    expect(MAX_BEFORE_POST_BUDGET_MS + WATCH_TIMEOUT_MS).to.be.below(constants.DEFAULT_ASK_TIMEOUT_MS)
  })

  it('should wait for a command at least as long as a tool call may take, and bound what rooms hold', () => {
    expect(MAX_COMMAND_DEADLINE_MS).to.be.at.least(DEFAULT_TOOL_DEADLINE_MS)
    expect(MAX_PENDING_COMMANDS).to.be.within(1, 1_000)
    expect(MAX_JUDGED_POSTS).to.be.within(1, 10_000)
    expect(MAX_REFUSAL_REASON).to.be.within(64, 1_024)
  })

  it('should take command names a user can type, as short as user names', () => {
    expect(COMMAND_NAME_PATTERN.source).to.equal(USER_NAME_PATTERN.source)
  })

  it('should retry after-post requests with growing waits, note the cursor well within the lag bound, and read pages a room serves', () => {
    expect(AFTER_POST_RETRY_FIRST_MS).to.be.below(AFTER_POST_RETRY_MAX_MS)
    expect(AFTER_POST_TICK_MS).to.be.at.most(AFTER_POST_RETRY_FIRST_MS)
    expect(AFTER_POST_CHECKPOINT_EVERY).to.be.below(MAX_AFTER_POST_LAG)
    expect(AFTER_POST_PAGE).to.be.within(1, MAX_HISTORY_LIMIT)
    expect(MAX_AFTER_POST_BUFFERED).to.be.at.least(AFTER_POST_PAGE)
    expect(AFTER_POST_UNWATCH_MS).to.be.above(AFTER_POST_TICK_MS)
    expect(AFTER_POST_DEADLINE_MS).to.be.at.most(DEFAULT_TOOL_DEADLINE_MS)
  })

  it('should keep an export page and an import batch within one frame, and a batch able to hold the largest post', () => {
    // a page's text plus its records' other fields (under 200 bytes each) fits a frame
    expect(EXPORT_PAGE_BYTES + MAX_EXPORT_PAGE_RECORDS * 200).to.be.below(MAX_FRAME_BYTES)
    expect(MAX_IMPORT_BATCH_BYTES + MAX_IMPORT_BATCH_POSTS * (MAX_IMPORT_SOURCE_LENGTH + MAX_IMPORTED_AUTHOR_LENGTH + 100)).to.be.below(MAX_FRAME_BYTES)
    expect(MAX_IMPORT_BATCH_BYTES).to.be.at.least(MAX_CHAT_TEXT_BYTES)
    expect(EXPORT_PAGE_BYTES).to.be.at.least(MAX_CHAT_TEXT_BYTES)
    expect(MAX_IMPORT_SOURCES).to.be.within(16, 1024)
  })
})
