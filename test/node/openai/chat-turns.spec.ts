import { expect } from 'chai'
import { chatTurns } from '../../../node/openai/chat-turns.ts'
import type { MessageBody } from '../../../node/openai/openai-schemas.ts'

const call = (id: string, args: string): NonNullable<MessageBody['tool_calls']>[number] => ({ id, type: 'function', function: { name: 'calc__add', arguments: args } })

describe('chatTurns', () => {
  it('should turn messages into turns: parts joined, calls with their arguments parsed, results with the call they answer', () => {
    expect(chatTurns([
      { role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'user', content: 'add' },
      { role: 'assistant', content: null, tool_calls: [call('c1', '{"a": 1}'), call('c2', '{}')] },
      { role: 'tool', tool_call_id: 'c2', content: '0' },
      { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: '1' }] },
      { role: 'assistant', content: 'One.', tool_calls: null },
      { role: 'assistant', content: 'Then', tool_calls: [] }
    ])).to.deep.equal([
      { role: 'system', content: 'a\nb' },
      { role: 'user', content: 'add' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'calc__add', arguments: { a: 1 } }, { id: 'c2', name: 'calc__add', arguments: {} }] },
      { role: 'tool', toolCallId: 'c2', content: '0' },
      { role: 'tool', toolCallId: 'c1', content: '1' },
      { role: 'assistant', content: 'One.' },
      { role: 'assistant', content: 'Then' }
    ])
  })

  it('should refuse what the schema cannot say, naming the field', () => {
    const asked: MessageBody[] = [{ role: 'user', content: 'add' }, { role: 'assistant', tool_calls: [call('c1', '{}')] }]
    const cases: Array<[MessageBody[], string, RegExp]> = [
      [[...asked, { role: 'user', content: 'well?' }, { role: 'tool', tool_call_id: 'c1', content: 'late' }], 'messages[3].tool_call_id', /answers a call of the assistant message before it/],
      [[...asked, { role: 'tool', tool_call_id: 'c1', content: null }], 'messages[2].content', /must be the tool's result/],
      [[{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [call('c1', '{}'), call('c1', '{}')] }], 'messages[1].tool_calls[1].id', /"c1" is used twice/],
      [[{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [call('c1', 'null')] }], 'messages[1].tool_calls[0].function.arguments', /must be a JSON object/],
      [[{ role: 'system', tool_calls: [call('c1', '{}')], content: 's' }], 'messages[0].tool_calls', /only an assistant message calls tools/],
      [[{ role: 'user' }], 'messages[0].content', /null only in an assistant message that calls tools/]
    ]
    for (const [messages, param, message] of cases) {
      const refusal = chatTurns(messages)
      expect(refusal, param).to.have.property('param', param)
      expect((refusal as { message: string }).message).to.match(message).and.include(param)
    }
  })
})
