import { expect } from 'chai'
import { finishReason, toolCalls, usage } from '../../../node/openai/completion-result.ts'
import type { GenerateResult } from '../../../runtimes/index.ts'

const result = (stopReason: GenerateResult['stopReason']): GenerateResult => ({ text: '', stopReason, promptTokens: 5, completionTokens: 7, droppedTurns: 0, ttftMs: 0, durationMs: 0 })

describe('completion result', () => {
  it('should say length for an answer cut by its token limit or a full context, and stop otherwise', () => {
    expect((['eos', 'max-tokens', 'cancelled', 'context-full'] as const).map((r) => finishReason(result(r)))).to.deep.equal(['stop', 'length', 'stop', 'length'])
  })

  it('should say tool_calls for an answer that called tools, and write its calls as OpenAI\'s, arguments a JSON string', () => {
    const called = { ...result('tool-calls'), toolCalls: [{ id: 'call_1', name: 'clock__now', arguments: { zone: 'UTC' } }] }
    expect(finishReason(called)).to.equal('tool_calls')
    expect(toolCalls(called)).to.deep.equal([{ id: 'call_1', type: 'function', function: { name: 'clock__now', arguments: '{"zone":"UTC"}' } }])
    expect(toolCalls(result('eos'))).to.deep.equal([])
  })

  it('should count the prompt\'s and the answer\'s tokens and their total, as OpenAI\'s usage', () => {
    expect(usage(result('eos'))).to.deep.equal({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 })
  })
})
