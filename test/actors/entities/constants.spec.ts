import { expect } from 'chai'
import {
  AFTER_POST_CHECKPOINT_EVERY, AFTER_POST_DEADLINE_MS, AFTER_POST_PAGE, AFTER_POST_RETRY_FIRST_MS, AFTER_POST_RETRY_MAX_MS, AFTER_POST_TICK_MS,
  AFTER_POST_UNWATCH_MS, COMMAND_NAME_PATTERN, MAX_AFTER_POST_BUFFERED, MAX_AFTER_POST_LAG, MAX_COMMAND_DEADLINE_MS, MAX_JUDGED_POSTS,
  MAX_PENDING_COMMANDS, MAX_REFUSAL_REASON, WATCH_TIMEOUT_MS, constants
} from '../../../actors/index.ts'
import { DEFAULT_TOOL_DEADLINE_MS, MAX_BEFORE_POST_BUDGET_MS, MAX_HISTORY_LIMIT, USER_NAME_PATTERN } from '../../../protocols/index.ts'

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
})
