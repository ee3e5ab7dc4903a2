import { expect } from 'chai'
import { AUTH_CACHE_MAX, AUTH_CACHE_MS, CHANGES_ASK_MS, DIRECTORY_ASK_MS, DIRECTORY_REFRESH_MS, MAX_TOKEN_LENGTH, POLICY_ASK_MS, POLICY_CACHE_MAX, POLICY_CACHE_MS } from '../../../node/users/index.ts'
import { TOOL_LIST_TIMEOUT_MS } from '../../../actors/index.ts'
import { newToken } from '../../../node/identity/index.ts'

describe('users constants', () => {
  it('should bound how long a revocation elsewhere takes to reach this node to a few seconds', () => {
    // a refresh, its ask, and a cached result: the longest a removed user's token still works here
    expect(DIRECTORY_REFRESH_MS + CHANGES_ASK_MS + AUTH_CACHE_MS).to.be.at.most(10_000)
    expect(DIRECTORY_ASK_MS).to.be.at.most(CHANGES_ASK_MS)
  })

  it('should take every token this node makes, and bound the memory of what it caches', () => {
    expect(newToken('plxu').length).to.be.at.most(MAX_TOKEN_LENGTH)
    expect(AUTH_CACHE_MAX * (64 + MAX_TOKEN_LENGTH)).to.be.at.most(16 * 1024 * 1024)
  })

  it('should let a tool policy changed elsewhere apply here within seconds, and a list of tools give up on an unreadable policy before the agent gives up on the list', () => {
    expect(POLICY_CACHE_MS).to.be.at.most(AUTH_CACHE_MS)
    expect(POLICY_ASK_MS).to.be.at.most(TOOL_LIST_TIMEOUT_MS)
    expect(POLICY_CACHE_MAX).to.be.at.most(AUTH_CACHE_MAX)
  })
})
