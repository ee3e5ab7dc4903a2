import { expect } from 'chai'
import { TOOL_NAME_MAX, qualifiedToolName } from '../../../protocols/plugins/index.ts'

describe('tools', () => {
  it('should qualify a tool by its source, when the name fits an OpenAI function name', () => {
    expect(qualifiedToolName('clock', 'now')).to.equal('clock__now')
    expect(qualifiedToolName('clock', 'a-b_C9')).to.equal('clock__a-b_C9')
    expect(qualifiedToolName('clock', 'x'.repeat(TOOL_NAME_MAX - 7))).to.have.length(TOOL_NAME_MAX)
    for (const tool of ['x'.repeat(TOOL_NAME_MAX - 6), 'has space', 'dotted.name', '']) expect(qualifiedToolName('clock', tool), tool).to.equal(undefined)
  })
})
