import { expect } from 'chai'
import { MAX_TOOL_SCHEMA_BYTES } from '../../../node/openai/constants.ts'
import { toolInput } from '../../../node/openai/tool-input.ts'

const fn = (name: string, more: Record<string, unknown> = {}): { type: 'function', function: { name: string } } => ({ type: 'function', function: { name, ...more } })

describe('toolInput', () => {
  it('should give the tools as the runtimes take them, a tool without parameters taking none', () => {
    const parameters = { type: 'object', properties: { a: { type: 'number' } } }
    expect(toolInput({ tools: [fn('calc__add', { description: 'Adds', parameters, strict: true }), fn('clock__now')] })).to.deep.equal({
      tools: [{ name: 'calc__add', description: 'Adds', parameters }, { name: 'clock__now', description: '', parameters: { type: 'object', properties: {} } }]
    })
    expect(toolInput({ tools: [fn('clock')], tool_choice: { type: 'function', function: { name: 'clock' } } })).to.deep.include({ toolChoice: { name: 'clock' } })
    for (const choice of ['none', 'auto', 'required'] as const) expect(toolInput({ tools: [fn('clock')], tool_choice: choice })).to.deep.include({ toolChoice: choice })
    // no tools: nothing to choose among (OpenAI's own none and auto are harmless)
    expect(toolInput({ tools: null, tool_choice: 'auto' })).to.deep.equal({})
    expect(toolInput({})).to.deep.equal({})
  })

  it('should refuse what the schema cannot say, naming the field', () => {
    const cases: Array<[Parameters<typeof toolInput>[0], string, RegExp]> = [
      [{ tools: [fn('clock'), fn('clock')] }, 'tools[1].function.name', /"clock" is offered twice/],
      [{ tools: [fn('clock', { parameters: { type: 'object', description: 'd'.repeat(MAX_TOOL_SCHEMA_BYTES) } })] }, 'tools[0].function.parameters', /at most 65536 bytes/],
      [{ tools: [fn('clock')], tool_choice: { type: 'function', function: { name: 'calendar' } } }, 'tool_choice', /names "calendar", which is not one of the tools/],
      [{ tool_choice: 'required' }, 'tool_choice', /needs tools/],
      [{ tool_choice: { type: 'function', function: { name: 'clock' } } }, 'tool_choice', /not one of the tools/]
    ]
    for (const [body, param, message] of cases) {
      const refusal = toolInput(body)
      expect(refusal, param).to.have.property('param', param)
      expect((refusal as { message: string }).message).to.match(message)
    }
  })
})
