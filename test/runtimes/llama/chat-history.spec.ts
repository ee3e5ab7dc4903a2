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
    expect(() => chatHistory([{ role: 'tool' as never, content: 'x' }])).to.throw(/chat role/)
  })
})
