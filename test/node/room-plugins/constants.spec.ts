import { expect } from 'chai'
import { MAX_COMMANDS_PER_PLUGIN, MAX_COMMAND_DESCRIPTION, POST_HOOKS_RESUME_MS } from '../../../node/room-plugins/index.ts'
import { AFTER_POST_UNWATCH_MS, MAX_PENDING_COMMANDS } from '../../../actors/index.ts'

describe('room-plugins constants', () => {
  it('should keep a plugin\'s commands and their descriptions short, and resume after-post delivery well before a room is forgotten', () => {
    expect(MAX_COMMANDS_PER_PLUGIN).to.be.within(1, MAX_PENDING_COMMANDS)
    expect(MAX_COMMAND_DESCRIPTION).to.be.within(40, 500)
    expect(POST_HOOKS_RESUME_MS).to.be.within(1_000, AFTER_POST_UNWATCH_MS)
  })
})
