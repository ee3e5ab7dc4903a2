import { expect } from 'chai'
import { settingsChange, wireDone, wireEvent, wireSettings, wireTools, wireTurn } from '../../../node/grpc/agent-wire.ts'

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
    expect(wireTurn({ requestId: 'r', role: 'user', content: 'c', ts: 5 })).to.deep.equal({
      requestId: 'r', role: 'user', content: 'c', ts: 5, stopReason: '', model: '', toolCalls: [], toolCallId: '', toolName: '', isError: false
    })
    const sampling = { temperature: 0.5, topP: 1, topK: 0, maxTokens: 8 }
    expect(wireSettings({ persona: 'p', model: '', sampling })).to.deep.equal({ persona: 'p', model: '', sampling, models: [] })
  })

  it('should write tool turns with their calls and results, their arguments as JSON, when a turn used tools', () => {
    expect(wireTurn({ requestId: 'r', role: 'assistant', content: '', ts: 5, stopReason: 'tool-calls', model: 'm', toolCalls: [{ id: 'c1', name: 'calc__add', arguments: { a: 1 } }] }))
      .to.deep.include({ role: 'assistant', stopReason: 'tool-calls', toolCalls: [{ id: 'c1', name: 'calc__add', arguments: '{"a":1}' }] })
    expect(wireTurn({ requestId: 'r', role: 'tool', content: 'boom', ts: 6, toolCallId: 'c1', toolName: 'calc__add', isError: true }))
      .to.deep.include({ role: 'tool', content: 'boom', toolCallId: 'c1', toolName: 'calc__add', isError: true, toolCalls: [] })
  })

  it('should write queue positions, tool calls and tool results as the AskEvent field of each', () => {
    expect(wireEvent({ kind: 'queued', position: 2 })).to.deep.equal({ queued: { position: 2 } })
    expect(wireEvent({ kind: 'tool-call', id: 'c1', name: 'clock__now', arguments: '{}' })).to.deep.equal({ toolCall: { id: 'c1', name: 'clock__now', arguments: '{}' } })
    expect(wireEvent({ kind: 'tool-result', id: 'c1', name: 'clock__now', isError: false, text: 'noon', clipped: true }))
      .to.deep.equal({ toolResult: { id: 'c1', name: 'clock__now', isError: false, text: 'noon', clipped: true } })
    const policy = { granted: ['clock__*'], enabled: [], disabled: ['clock__zone'] }
    expect(wireTools(policy, [{ name: 'clock__now', source: { kind: 'plugin', name: 'clock' }, tool: 'now', description: 'the time', inputSchema: {} }]))
      .to.deep.equal({ ...policy, tools: [{ name: 'clock__now', description: 'the time' }] })
  })
})
