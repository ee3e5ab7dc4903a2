import { expect } from 'chai'
import { InvalidPluginRequestError, PluginProtocolError } from '../../../node/plugins/index.ts'
import { checkPlexiAnswer, checkPlexiMethod } from '../../../node/plugins/plexi-answer.ts'
import { PLEXI_METHODS } from '../../../protocols/index.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('plexi answer', () => {
  it('should know the methods the node sends, and nothing else', () => {
    for (const m of Object.values(PLEXI_METHODS)) expect(checkPlexiMethod(m)).to.equal(m)
    for (const m of ['tools/call', 'plexi/other', 7]) expect(thrown(() => checkPlexiMethod(m))).to.be.instanceOf(InvalidPluginRequestError)
  })

  it('should take well-formed answers, cutting long text', () => {
    expect(checkPlexiAnswer('p', PLEXI_METHODS.command, { text: 'hi', extra: 1 })).to.deep.equal({ text: 'hi' })
    expect((checkPlexiAnswer('p', PLEXI_METHODS.command, { text: 'x'.repeat(100_000) }) as { text: string }).text.length).to.be.below(70_000)
    expect(checkPlexiAnswer('p', PLEXI_METHODS.beforePost, { verdict: 'allow' })).to.deep.equal({ verdict: 'allow' })
    expect(checkPlexiAnswer('p', PLEXI_METHODS.beforePost, { verdict: 'refuse', reason: 'no' })).to.deep.equal({ verdict: 'refuse', reason: 'no' })
    expect(checkPlexiAnswer('p', PLEXI_METHODS.afterPost, { anything: true })).to.deep.equal({})
  })

  it('should refuse malformed answers as a protocol breach', () => {
    const cases: Array<[typeof PLEXI_METHODS[keyof typeof PLEXI_METHODS], unknown]> = [
      [PLEXI_METHODS.command, null], [PLEXI_METHODS.command, { text: 5 }], [PLEXI_METHODS.beforePost, { verdict: 'maybe' }],
      [PLEXI_METHODS.beforePost, { verdict: 'refuse' }], [PLEXI_METHODS.afterPost, []]
    ]
    for (const [method, value] of cases) {
      const err = thrown(() => checkPlexiAnswer('mod', method, value))
      expect(err, JSON.stringify(value)).to.be.instanceOf(PluginProtocolError)
      expect(err.message).to.include(`plugin mod answered ${method} with`)
    }
  })
})
