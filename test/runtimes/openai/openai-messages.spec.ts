import { expect } from 'chai'
import { openAiMessage, openAiTools } from '../../../runtimes/openai/openai-messages.ts'

describe('openAiMessage', () => {
  it('should write calls as tool_calls with JSON arguments and results with the id they answer', () => {
    const call = { id: 'call_1', name: 'calc__add', arguments: { a: 1 } }
    expect(openAiMessage({ role: 'user', content: 'hi' })).to.deep.equal({ role: 'user', content: 'hi' })
    expect(openAiMessage({ role: 'assistant', content: '', toolCalls: [call] })).to.deep.equal({
      role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'calc__add', arguments: '{"a":1}' } }]
    })
    expect(openAiMessage({ role: 'assistant', content: 'Adding.', toolCalls: [call] })).to.have.property('content', 'Adding.')
    expect(openAiMessage({ role: 'assistant', content: 'plain', toolCalls: [] })).to.deep.equal({ role: 'assistant', content: 'plain' })
    expect(openAiMessage({ role: 'tool', content: '1', toolCallId: 'call_1' })).to.deep.equal({ role: 'tool', tool_call_id: 'call_1', content: '1' })
  })
})

describe('openAiTools', () => {
  it('should write tools as functions and the tool choice as OpenAI names it, nothing without tools', () => {
    const tool = { name: 'clock', description: 'Time', parameters: { type: 'object' } }
    expect(openAiTools([tool], { name: 'clock' })).to.deep.equal({ tools: [{ type: 'function', function: tool }], tool_choice: { type: 'function', function: { name: 'clock' } } })
    expect(openAiTools([tool], 'required')).to.deep.include({ tool_choice: 'required' })
    expect(openAiTools([tool], undefined)).to.not.have.property('tool_choice')
    expect(openAiTools([], 'none')).to.deep.equal({})
    expect(openAiTools(undefined, 'auto')).to.deep.equal({})
  })
})
