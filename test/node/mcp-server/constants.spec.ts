import { expect } from 'chai'
import {
  HISTORY_DEFAULT, MAX_BATCH_MESSAGES, MAX_ERROR_CHARS, MAX_LISTED_ROOMS, MAX_SESSIONS, MAX_SESSIONS_PER_USER, MAX_SESSION_ID_CHARS, MCP_PATH,
  RESOURCE_HISTORY, SESSION_IDLE_MS, SESSION_SWEEP_MS, SUPERSEDED_RESEND_MS
} from '../../../node/mcp-server/constants.ts'
import { MAX_HISTORY_LIMIT } from '../../../protocols/index.ts'

describe('mcp-server constants', () => {
  it('should serve at the path MCP clients are configured with', () => {
    expect(MCP_PATH).to.equal('/mcp')
  })

  it('should let a user hold a few sessions and the node many, and sweep far more often than a session expires', () => {
    expect(MAX_SESSIONS_PER_USER).to.be.within(2, MAX_SESSIONS)
    expect(MAX_SESSIONS).to.be.within(MAX_SESSIONS_PER_USER, 100_000)
    expect(SESSION_SWEEP_MS).to.be.below(SESSION_IDLE_MS / 10)
    // a UUID fits
    expect(MAX_SESSION_ID_CHARS).to.be.at.least(36)
  })

  it('should read histories a request could also ask for, and bound what one answer or one batch holds', () => {
    expect(HISTORY_DEFAULT).to.be.within(1, MAX_HISTORY_LIMIT)
    expect(RESOURCE_HISTORY).to.be.within(1, MAX_HISTORY_LIMIT)
    expect(MAX_LISTED_ROOMS).to.be.within(1, 100_000)
    expect(MAX_BATCH_MESSAGES).to.be.within(1, 1_000)
    expect(MAX_ERROR_CHARS).to.be.within(80, 4_096)
  })

  it('should resend a superseded room ask with growing waits that end within a client\'s deadline', () => {
    for (let i = 1; i < SUPERSEDED_RESEND_MS.length; i++) expect(SUPERSEDED_RESEND_MS[i]).to.be.at.least(SUPERSEDED_RESEND_MS[i - 1] as number)
    expect(SUPERSEDED_RESEND_MS.reduce((a, b) => a + b, 0)).to.be.within(3_000, 10_000)
  })
})
