import { expect } from 'chai'
import { sourceTools } from '../../../node/plugins/source-tools.ts'
import { MAX_TOOLS_PER_SOURCE } from '../../../protocols/index.ts'

const source = { kind: 'plugin' as const, name: 'clock' }
const obj = { type: 'object' }

describe('source tools', () => {
  it('should qualify each tool and keep its description and schema', () => {
    const { tools, leftOut } = sourceTools(source, [{ name: 'now', description: 'the time', inputSchema: { type: 'object', properties: { tz: { type: 'string' } } } }, { name: 'x', title: 'titled', inputSchema: obj }])
    expect(tools).to.deep.equal([
      { name: 'clock__now', source, tool: 'now', description: 'the time', inputSchema: { type: 'object', properties: { tz: { type: 'string' } } } },
      { name: 'clock__x', source, tool: 'x', description: 'titled', inputSchema: obj }
    ])
    expect(leftOut).to.deep.equal([])
  })

  it('should leave out, naming why, tools with bad names, schemas or descriptions, twins, and those past the most', () => {
    const listed = [
      null, { inputSchema: obj }, { name: 'a b', inputSchema: obj }, { name: 'y'.repeat(58), inputSchema: obj }, { name: 'ok', inputSchema: obj }, { name: 'ok', inputSchema: obj },
      { name: 'arr', inputSchema: { type: 'array' } }, { name: 'none' }, { name: 'desc', description: 5, inputSchema: obj }, { name: 'big', inputSchema: { type: 'object', d: 'z'.repeat(17_000) } },
      ...Array.from({ length: MAX_TOOLS_PER_SOURCE + 3 }, (_, i) => ({ name: `t${i}`, inputSchema: obj }))
    ]
    const { tools, leftOut } = sourceTools(source, listed)
    expect(tools).to.have.length(MAX_TOOLS_PER_SOURCE)
    expect(tools[0]?.name).to.equal('clock__ok')
    expect(leftOut.map((l) => l.tool).slice(0, 9)).to.deep.equal(['(no name)', '(no name)', 'a b', 'y'.repeat(58), 'ok', 'arr', 'none', 'desc', 'big'])
    expect(leftOut.slice(-4).map((l) => l.why)).to.deep.equal(Array(4).fill(`clock offers more than ${MAX_TOOLS_PER_SOURCE} tools`))
    expect(leftOut[4]?.why).to.equal('it is listed twice')
  })

  it('should clip a long description', () => {
    const { tools } = sourceTools(source, [{ name: 'd', description: 'w'.repeat(5_000), inputSchema: obj }])
    expect(tools[0]?.description).to.have.length(1_024)
  })
})
