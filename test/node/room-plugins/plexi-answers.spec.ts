import { expect } from 'chai'
import { MAX_REFUSAL_REASON } from '../../../actors/index.ts'
import { PluginAnswerError, checkPlexiAnswer } from '../../../node/room-plugins/index.ts'
import { MAX_CHAT_TEXT_BYTES, kindOf } from '../../../protocols/index.ts'

describe('checkPlexiAnswer', () => {
  const refusal = (f: () => unknown): Error | undefined => { try { f(); return undefined } catch (err) { return err as Error } }

  it('should take a command\'s text within the chat limit, dropping other fields', () => {
    expect(checkPlexiAnswer('dice', 'plexi/command', { text: '6', extra: true })).to.deep.equal({ text: '6' })
    expect(checkPlexiAnswer('dice', 'plexi/command', { text: '' })).to.deep.equal({ text: '' })
    for (const answer of [undefined, null, [], { text: 6 }, {}]) {
      const err = refusal(() => checkPlexiAnswer('dice', 'plexi/command', answer))
      expect(err, JSON.stringify(answer)).to.be.instanceOf(PluginAnswerError)
      expect(err?.message).to.equal('plugin dice answered plexi/command with no text (a string)')
    }
    expect(refusal(() => checkPlexiAnswer('dice', 'plexi/command', { text: 'é'.repeat(MAX_CHAT_TEXT_BYTES / 2 + 1) }))?.message)
      .to.equal(`plugin dice answered plexi/command with ${MAX_CHAT_TEXT_BYTES + 2} bytes of text, over the limit of ${MAX_CHAT_TEXT_BYTES}`)
  })

  it('should take a verdict, a refusal with its reason cut to a sentence, and nothing else', () => {
    expect(checkPlexiAnswer('mod', 'plexi/before-post', { verdict: 'allow', reason: 'ignored' })).to.deep.equal({ verdict: 'allow' })
    expect(checkPlexiAnswer('mod', 'plexi/before-post', { verdict: 'refuse', reason: '  spam  ' })).to.deep.equal({ verdict: 'refuse', reason: 'spam' })
    expect(checkPlexiAnswer('mod', 'plexi/before-post', { verdict: 'refuse' })).to.deep.equal({ verdict: 'refuse', reason: 'no reason given' })
    const long = checkPlexiAnswer('mod', 'plexi/before-post', { verdict: 'refuse', reason: 'r'.repeat(5_000) })
    expect(long.verdict === 'refuse' ? long.reason.length : 0).to.equal(MAX_REFUSAL_REASON)
    const err = refusal(() => checkPlexiAnswer('mod', 'plexi/before-post', { verdict: 'Allow' }))
    expect(err?.message).to.equal('plugin mod answered plexi/before-post with no verdict (allow or refuse)')
    expect(kindOf(err)).to.equal('unavailable')
  })

  it('should take any after-post answer as an acknowledgement, and refuse a method Plexi does not send', () => {
    expect(checkPlexiAnswer('audit', 'plexi/after-post', undefined)).to.deep.equal({})
    expect(checkPlexiAnswer('audit', 'plexi/after-post', { anything: 1 })).to.deep.equal({})
    expect(refusal(() => checkPlexiAnswer('audit', 'plexi/other' as never, {}))?.message).to.equal('plugin audit answered plexi/other with an answer to a method Plexi does not send')
  })
})
