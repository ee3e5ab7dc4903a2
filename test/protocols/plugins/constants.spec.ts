import { expect } from 'chai'
import { DEFAULT_BEFORE_POST_BUDGET_MS, DEFAULT_PLUGIN_MEMORY_MIB, MAX_BEFORE_POST_BUDGET_MS, MAX_PLUGIN_MEMORY_MIB, MIN_PLUGIN_MEMORY_MIB, PLUGIN_API_VERSION, SOURCE_NAME_PATTERN, TOOL_NAME_MAX, isSemver } from '../../../protocols/plugins/index.ts'

describe('plugin constants', () => {
  it('should keep defaults within their bounds, and the API version semver', () => {
    expect(MIN_PLUGIN_MEMORY_MIB).to.be.at.most(DEFAULT_PLUGIN_MEMORY_MIB)
    expect(DEFAULT_PLUGIN_MEMORY_MIB).to.be.at.most(MAX_PLUGIN_MEMORY_MIB)
    expect(DEFAULT_BEFORE_POST_BUDGET_MS).to.be.at.most(MAX_BEFORE_POST_BUDGET_MS)
    expect(isSemver(PLUGIN_API_VERSION)).to.equal(true)
  })

  it('should leave a qualified tool name room for the tool\'s own name', () => {
    // the longest source name, the separator, and at least 30 characters of tool
    expect(TOOL_NAME_MAX - 24 - 2).to.be.at.least(30)
    expect(new RegExp(SOURCE_NAME_PATTERN).test('a'.repeat(24))).to.equal(true)
    expect(new RegExp(SOURCE_NAME_PATTERN).test('a'.repeat(25))).to.equal(false)
  })
})
