import { expect } from 'chai'
import { checkToolCall, splitToolName } from '../../../node/plugins/tool-call-check.ts'
import { InvalidToolCallError, MAX_TOOL_ARGS_BYTES } from '../../../protocols/index.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('tool call check', () => {
  it('should split a qualified name at its first separator', () => {
    expect(splitToolName('clock__now')).to.deep.equal({ name: 'clock__now', source: 'clock', tool: 'now' })
    expect(splitToolName('clock__get__time')).to.deep.equal({ name: 'clock__get__time', source: 'clock', tool: 'get__time' })
    for (const bad of ['clock', '__now', 'clock__', 'x'.repeat(65), 3]) expect(splitToolName(bad), String(bad)).to.equal(undefined)
  })

  it('should take a well-formed call and refuse each malformed one', () => {
    expect(checkToolCall({ id: '1', name: 'a__b', arguments: { x: 1 } })).to.deep.equal({ id: '1', name: 'a__b', arguments: { x: 1 }, source: 'a', tool: 'b' })
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const cases: Array<[unknown, RegExp]> = [
      [null, /an object/], [{ name: 'a__b', arguments: {} }, /^id/], [{ id: 'x'.repeat(129), name: 'a__b', arguments: {} }, /^id/],
      [{ id: '1', name: 'ab', arguments: {} }, /^name/], [{ id: '1', name: 'a__b' }, /JSON object/], [{ id: '1', name: 'a__b', arguments: 'x' }, /JSON object/],
      [{ id: '1', name: 'a__b', arguments: cyclic }, /not JSON/], [{ id: '1', name: 'a__b', arguments: { s: 'x'.repeat(MAX_TOOL_ARGS_BYTES) } }, /over the/]
    ]
    for (const [value, message] of cases) {
      const err = thrown(() => checkToolCall(value))
      expect(err).to.be.instanceOf(InvalidToolCallError)
      expect(err.message).to.match(message)
    }
  })
})
