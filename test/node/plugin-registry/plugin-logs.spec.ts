import { expect } from 'chai'
import { LOG_LINES_PER_PLUGIN, MAX_LOG_LINE, PluginLogs } from '../../../node/plugin-registry/index.ts'

describe('PluginLogs', () => {
  it('should keep the last lines of each plugin, clipped, and forget a plugin', () => {
    let now = 1
    const logs = new PluginLogs(() => now++)
    for (let i = 0; i < LOG_LINES_PER_PLUGIN + 5; i++) logs.add('clock', '1.0.0', `line ${i}`)
    logs.add('other', '2.0.0', 'x'.repeat(MAX_LOG_LINE + 10))
    expect(logs.tail('clock', 2)).to.deep.equal([
      { ts: LOG_LINES_PER_PLUGIN + 4, version: '1.0.0', line: `line ${LOG_LINES_PER_PLUGIN + 3}` },
      { ts: LOG_LINES_PER_PLUGIN + 5, version: '1.0.0', line: `line ${LOG_LINES_PER_PLUGIN + 4}` }
    ])
    expect(logs.tail('clock', 10_000)).to.have.length(LOG_LINES_PER_PLUGIN)
    expect(logs.tail('clock', 10_000)[0]?.line).to.equal('line 5')
    expect(logs.tail('other', 1)[0]?.line).to.equal(`${'x'.repeat(MAX_LOG_LINE)}…`)
    expect(logs.names().sort()).to.deep.equal(['clock', 'other'])
    logs.forget('clock')
    expect(logs.tail('clock', 5)).to.deep.equal([])
    expect(logs.tail('nobody', 5)).to.deep.equal([])
  })
})
