import { expect } from 'chai'
import { MAX_AGENT_TOOLS, UNANSWERED_CALL, agentPrompt, toolDefinitions } from '../../../actors/index.ts'
import type { AgentSettings, AgentTurn } from '../../../actors/index.ts'
import type { ToolSpec } from '../../../protocols/index.ts'

const settings: AgentSettings = { persona: 'terse', model: '', sampling: { temperature: 0, topP: 1, topK: 0, maxTokens: 8 } }
const spec = (name: string, description = `does ${name}`): ToolSpec => ({
  name, source: { kind: 'plugin', name: name.split('__')[0] ?? '' }, tool: name.split('__')[1] ?? '', description, inputSchema: { type: 'object', properties: {} }
})
const turn = (role: AgentTurn['role'], content: string, more: Partial<AgentTurn> = {}): AgentTurn => ({ requestId: 'r', role, content, ts: 1, ...more })
const call = (id: string) => ({ id, name: 'calc__add', arguments: { a: 1 } })

describe('toolDefinitions', () => {
  it('should show the model each tool once, by a valid function name, sorted, with its schema as parameters', () => {
    const defs = toolDefinitions([spec('clock__now'), spec('calc__add', 'adds'), spec('clock__now', 'again'), spec('bad name__x'), spec(`s__${'t'.repeat(70)}`)])
    expect(defs).to.deep.equal([
      { name: 'calc__add', description: 'adds', parameters: { type: 'object', properties: {} } },
      { name: 'clock__now', description: 'does clock__now', parameters: { type: 'object', properties: {} } }
    ])
  })

  it(`should offer at most ${MAX_AGENT_TOOLS}, the same ones whatever order they were listed in`, () => {
    const many = Array.from({ length: MAX_AGENT_TOOLS + 10 }, (_, i) => spec(`s__t${String(i).padStart(3, '0')}`))
    expect(toolDefinitions(many)).to.have.length(MAX_AGENT_TOOLS)
    expect(toolDefinitions([...many].reverse())).to.deep.equal(toolDefinitions(many))
  })
})

describe('agentPrompt', () => {
  it('should be the persona and the turns, as before tools, when there are none to offer', () => {
    const prompt = agentPrompt(settings, [turn('user', 'hi'), turn('assistant', 'hello')], [], 'auto')
    expect(prompt).to.deep.equal({ messages: [{ role: 'system', content: 'terse' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], sampling: settings.sampling })
  })

  it('should follow each turn that called tools with one tool message per call, in call order, and offer the tools with the choice given', () => {
    const tools = toolDefinitions([spec('calc__add')])
    const prompt = agentPrompt(settings, [
      turn('user', 'add'),
      turn('assistant', 'let me see', { toolCalls: [call('c1'), call('c2')], stopReason: 'tool-calls' }),
      turn('tool', 'two', { toolCallId: 'c2', toolName: 'calc__add' }),
      turn('tool', 'one', { toolCallId: 'c1', toolName: 'calc__add' }),
      turn('assistant', 'done')
    ], tools, 'none')
    expect(prompt.messages).to.deep.equal([
      { role: 'system', content: 'terse' },
      { role: 'user', content: 'add' },
      { role: 'assistant', content: 'let me see', toolCalls: [call('c1'), call('c2')] },
      { role: 'tool', content: 'one', toolCallId: 'c1' },
      { role: 'tool', content: 'two', toolCallId: 'c2' },
      { role: 'assistant', content: 'done' }
    ])
    expect([prompt.tools, prompt.toolChoice]).to.deep.equal([tools, 'none'])
  })

  it('should give a call whose result was never kept a result saying so, and leave out a result whose call is gone', () => {
    const prompt = agentPrompt(settings, [
      // the history's cut at MAX_AGENT_TURNS fell inside an earlier ask
      turn('tool', 'orphan', { toolCallId: 'c0' }),
      turn('assistant', 'answer to a question cut off'),
      turn('user', 'again'),
      turn('assistant', '', { toolCalls: [call('c1')], stopReason: 'tool-calls' }),
      turn('user', 'and?')
    ], [], 'auto')
    expect(prompt.messages.map((m) => [m.role, m.content, m.toolCallId ?? ''])).to.deep.equal([
      ['system', 'terse', ''], ['user', 'again', ''], ['assistant', '', ''], ['tool', UNANSWERED_CALL, 'c1'], ['user', 'and?', '']
    ])
  })
})
