import { expect } from 'chai'
import { InvalidPluginRequestError } from '../../../node/plugins/index.ts'
import { checkRemoteResult, checkRemoteTools } from '../../../node/plugins/remote-answers.ts'
import { thrown } from '../../helpers/thrown.ts'

const tool = { name: 'clock__now', source: { kind: 'plugin', name: 'clock' }, tool: 'now', description: 'the time', inputSchema: { type: 'object' } }

describe('remote answers', () => {
  it('should take a member\'s result for this call and refuse any other', () => {
    expect(checkRemoteResult('c1', { callId: 'c1', isError: false, text: 'ok', extra: 1 })).to.deep.equal({ callId: 'c1', isError: false, text: 'ok' })
    for (const bad of [null, { callId: 'c2', isError: false, text: '' }, { callId: 'c1', isError: 'no', text: '' }, { callId: 'c1', isError: true, text: 'x'.repeat(70_000) }]) {
      expect(thrown(() => checkRemoteResult('c1', bad)), JSON.stringify(bad)?.slice(0, 60)).to.be.instanceOf(InvalidPluginRequestError)
    }
  })

  it('should keep a member\'s well-formed tools and drop the rest', () => {
    const listed = [
      tool, { ...tool, name: 'clock__later' }, { ...tool, source: { kind: 'robot', name: 'clock' } }, { ...tool, source: { kind: 'plugin', name: 'Clock' }, name: 'Clock__now' },
      { ...tool, description: 5 }, { ...tool, inputSchema: { type: 'string' } }, { ...tool, inputSchema: { type: 'object', d: 'x'.repeat(20_000) } }, null, 'x'
    ]
    expect(checkRemoteTools(listed)).to.deep.equal([tool])
    expect(thrown(() => checkRemoteTools({ tools: [] }))).to.be.instanceOf(InvalidPluginRequestError)
  })
})
