import { expect } from 'chai'
import { chatHistory } from '../../../runtimes/llama/chat-history.ts'

describe('chatHistory', () => {
  it('should map each turn to its node-llama-cpp item and end with an empty model response when the user spoke last', () => {
    expect(chatHistory([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'and?' }])).to.deep.equal([
      { type: 'system', text: 'be brief' },
      { type: 'user', text: 'hi' },
      { type: 'model', response: ['hello'] },
      { type: 'user', text: 'and?' },
      { type: 'model', response: [] }
    ])
  })

  it('should let the model go on with the assistant\'s turn when it is the last', () => {
    expect(chatHistory([{ role: 'user', content: 'count' }, { role: 'assistant', content: '1, 2,' }])).to.deep.equal([
      { type: 'user', text: 'count' },
      { type: 'model', response: ['1, 2,'] }
    ])
  })

  it('should refuse a turn of a role it does not know', () => {
    expect(() => chatHistory([{ role: 'function' as never, content: 'x' }])).to.throw(/chat role/)
  })

  it('should keep a call, its result and the answer after it in one model response, results shown as JSON when they are', () => {
    const call = { id: 'c1', name: 'clock__now', arguments: { zone: 'UTC' } }
    const other = { id: 'c2', name: 'calc__add', arguments: { a: 1, b: 2 } }
    expect(chatHistory([
      { role: 'user', content: 'time?' },
      { role: 'assistant', content: 'Let me look.', toolCalls: [call, other] },
      { role: 'tool', toolCallId: 'c2', content: '3' },
      { role: 'tool', toolCallId: 'c1', content: '{"time": "12:00"}' },
      { role: 'assistant', content: 'It is noon.' },
      { role: 'user', content: 'thanks' }
    ])).to.deep.equal([
      { type: 'user', text: 'time?' },
      {
        type: 'model',
        response: [
          'Let me look.',
          { type: 'functionCall', name: 'clock__now', params: { zone: 'UTC' }, result: { time: '12:00' } },
          { type: 'functionCall', name: 'calc__add', params: { a: 1, b: 2 }, result: '3' },
          'It is noon.'
        ]
      },
      { type: 'user', text: 'thanks' },
      { type: 'model', response: [] }
    ])
  })

  it('should let the model go on after a tool\'s result, and leave out a result whose call is not there', () => {
    const call = { id: 'c1', name: 'clock__now', arguments: {} }
    expect(chatHistory([
      { role: 'user', content: 'time?' },
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', toolCallId: 'c1', content: '[not json' }
    ])).to.deep.equal([
      { type: 'user', text: 'time?' },
      { type: 'model', response: [{ type: 'functionCall', name: 'clock__now', params: {}, result: '[not json' }] }
    ])
    // the call's turn was left out to fit the context: its result answers nothing shown
    expect(chatHistory([{ role: 'user', content: 'time?' }, { role: 'tool', toolCallId: 'c1', content: 'noon' }])).to.deep.equal([
      { type: 'user', text: 'time?' },
      { type: 'model', response: [] }
    ])
  })
})
