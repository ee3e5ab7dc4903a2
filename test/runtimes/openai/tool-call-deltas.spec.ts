import { expect } from 'chai'
import { ToolCallDeltas } from '../../../runtimes/openai/tool-call-deltas.ts'
import { thrown } from '../../helpers/thrown.ts'

const URL = 'http://127.0.0.1:1/v1/chat/completions'

describe('ToolCallDeltas', () => {
  it('should build each call from its deltas by index, in index order', () => {
    const deltas = new ToolCallDeltas()
    deltas.take(undefined, URL)
    deltas.take(null, URL)
    expect(deltas.size).to.equal(0)
    deltas.take([{ index: 1, id: 'b', type: 'function', function: { name: 'clock', arguments: '' } }], URL)
    deltas.take([{ index: 0, id: 'a', function: { name: 'calc__', arguments: '{"a"' } }], URL)
    deltas.take([{ index: 0, function: { name: 'add', arguments: ': [1, 2]}' } }], URL)
    expect(deltas.size).to.equal(2)
    expect(deltas.calls(URL)).to.deep.equal([{ id: 'a', name: 'calc__add', arguments: { a: [1, 2] } }, { id: 'b', name: 'clock', arguments: {} }])
  })

  it('should refuse what a server sends that is no call, as RemoteInferenceError 502', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['x', /delta\.tool_calls is not a list/],
      [[7], /a tool call delta is not an object/],
      [[{ index: -1 }], /index is not one of 0 to 63/],
      [[{ index: 0, id: 'i'.repeat(300) }], /longer than its limits/]
    ]
    for (const [delta, message] of cases) {
      const err = thrown(() => { new ToolCallDeltas().take(delta, URL) })
      expect(err.name).to.equal('RemoteInferenceError')
      expect(err.message).to.match(message).and.include(URL)
    }
    const unnamed = new ToolCallDeltas()
    unnamed.take([{ index: 0, function: { arguments: '{}' } }], URL)
    expect(thrown(() => unnamed.calls(URL)).message).to.match(/names "", which is no tool's name/)
  })
})
