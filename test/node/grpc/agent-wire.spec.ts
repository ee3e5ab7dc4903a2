import { expect } from 'chai'
import { settingsChange, wireDone, wireSettings, wireTurn } from '../../../node/grpc/agent-wire.ts'

describe('agent wire', () => {
  it('should ask to change only the fields a Configure request set, sampling apart, when some are left out', () => {
    expect(settingsChange({ user: '' })).to.deep.equal({})
    expect(settingsChange({ user: '', persona: 'p', topK: 5 })).to.deep.equal({ persona: 'p', sampling: { topK: 5 } })
    expect(settingsChange({ user: '', model: 'm', temperature: 0, topP: 1, maxTokens: 9 })).to.deep.equal({ model: 'm', sampling: { temperature: 0, topP: 1, maxTokens: 9 } })
  })

  it('should write an answer with 0 and \'\' for the cache it did not use, and a turn with \'\' for what it has not, when they are absent', () => {
    const answer = { requestId: 'r', text: 't', model: 'm', stopReason: 'eos' as const, promptTokens: 1, completionTokens: 2, droppedTurns: 0, ttftMs: 3, durationMs: 4 }
    expect(wireDone(answer)).to.deep.equal({ requestId: 'r', model: 'm', stopReason: 'eos', promptTokens: 1, completionTokens: 2, droppedTurns: 0, ttftMs: 3, durationMs: 4, cachedTokens: 0, cache: '' })
    expect(wireDone({ ...answer, cachedTokens: 7, cache: 'disk' })).to.deep.include({ cachedTokens: 7, cache: 'disk' })
    expect(wireTurn({ requestId: 'r', role: 'user', content: 'c', ts: 5 })).to.deep.equal({ requestId: 'r', role: 'user', content: 'c', ts: 5, stopReason: '', model: '' })
    const sampling = { temperature: 0.5, topP: 1, topK: 0, maxTokens: 8 }
    expect(wireSettings({ persona: 'p', model: '', sampling })).to.deep.equal({ persona: 'p', model: '', sampling })
  })
})
