import { expect } from 'chai'
import { InvalidAgentRequestError, SAMPLING_RANGES, checkSettingsChange } from '../../../actors/index.ts'

describe('checkSettingsChange', () => {
  const refused = (change: object, maxTokensLimit?: number): string => {
    try {
      checkSettingsChange(change as never, maxTokensLimit)
    } catch (err) {
      expect(err).to.be.instanceOf(InvalidAgentRequestError)
      return (err as Error).message
    }
    return ''
  }

  it('should take every value within its range, and a change that sets nothing', () => {
    expect(refused({})).to.equal('')
    for (const [key, range] of Object.entries(SAMPLING_RANGES)) {
      expect(refused({ sampling: { [key]: range.min } }), key).to.equal('')
      expect(refused({ sampling: { [key]: range.max } }), key).to.equal('')
    }
    expect(refused({ persona: '', model: 'tiny' })).to.equal('')
  })

  it('should name the first bad field and what it expects, never echoing a long value', () => {
    expect(refused({ sampling: { temperature: 2.5 } })).to.equal('temperature: expected a number from 0 to 2, got 2.5')
    expect(refused({ sampling: { topK: 1.5 } })).to.equal('topK: expected an integer from 0 to 1000, got 1.5')
    expect(refused({ sampling: { topP: Number.NaN } })).to.match(/^topP: expected a number from 0 to 1/)
    expect(refused({ sampling: { maxTokens: 4096 } }, 2048)).to.equal('maxTokens: expected an integer from 1 to 2048, got 4096')
    expect(refused({ persona: 'x'.repeat(9000) })).to.equal('persona: 9000 bytes is over the limit of 8192')
    expect(refused({ model: 'm'.repeat(1000) })).to.match(/^model: expected a model name/)
    expect(refused({ sampling: { temperature: 'hot' } }).length).to.be.lessThan(100)
  })

  it('should refuse fields that are not settings (they would be journaled into the agent\'s settings)', () => {
    expect(refused({ colour: 'red' })).to.equal('colour: not a setting; expected persona, model, sampling')
    expect(refused({ sampling: { seed: 1 } })).to.equal('sampling.seed: not a sampling setting; expected temperature, topP, topK, maxTokens')
    expect(refused({ sampling: [0.5] })).to.equal('sampling: expected an object')
    expect(refused([] as never)).to.equal('settings: expected an object')
    expect(refused({ ['k'.repeat(500)]: 1 }).length).to.be.lessThan(150)
  })
})
