import { expect } from 'chai'
import {
  AGENT_TOOL_RESULT_BYTES, InvalidAgentRequestError, InvalidMessageError, MAX_REQUEST_ID_LENGTH, MAX_TOOL_CALLS_PER_ROUND, MAX_TOOL_CALL_ID_LENGTH, MessageCheck, SAMPLING_RANGES,
  STREAM_TOOL_RESULT_BYTES, checkAgentMsg, checkAgentStreamEvent, checkSettingsChange
} from '../../../actors/index.ts'
import { MAX_AGENT_TURNS, MAX_CHAT_TEXT_BYTES, MAX_TOOL_ARGS_BYTES } from '../../../protocols/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'
import { agentMessage } from '../../helpers/entity-messages.ts'

describe('checkSettingsChange', () => {
  const refused = (change: object, maxTokensLimit?: number): string => {
    try {
      checkSettingsChange(change as never, maxTokensLimit)
    } catch (err) {
      expect(err).to.be.instanceOf(InvalidAgentRequestError)
      return (err as Error).message
    }
    return ''
  }

  it('should take every value within its range, and a change that sets nothing', () => {
    expect(refused({})).to.equal('')
    for (const [key, range] of Object.entries(SAMPLING_RANGES)) {
      expect(refused({ sampling: { [key]: range.min } }), key).to.equal('')
      expect(refused({ sampling: { [key]: range.max } }), key).to.equal('')
    }
    expect(refused({ persona: '', model: 'tiny' })).to.equal('')
  })

  it('should name the first bad field and what it expects, never echoing a long value', () => {
    expect(refused({ sampling: { temperature: 2.5 } })).to.equal('temperature: expected a number from 0 to 2, got 2.5')
    expect(refused({ sampling: { topK: 1.5 } })).to.equal('topK: expected an integer from 0 to 1000, got 1.5')
    expect(refused({ sampling: { topP: Number.NaN } })).to.match(/^topP: expected a number from 0 to 1/)
    expect(refused({ sampling: { maxTokens: 4096 } }, 2048)).to.equal('maxTokens: expected an integer from 1 to 2048, got 4096')
    expect(refused({ persona: 'x'.repeat(9000) })).to.equal('persona: 9000 bytes is over the limit of 8192')
    expect(refused({ model: 'm'.repeat(1000) })).to.match(/^model: expected a model name/)
    expect(refused({ sampling: { temperature: 'hot' } }).length).to.be.lessThan(100)
  })

  it('should refuse fields that are not settings (they would be journaled into the agent\'s settings)', () => {
    expect(refused({ colour: 'red' })).to.equal('colour: not a setting; expected persona, model, sampling')
    expect(refused({ sampling: { seed: 1 } })).to.equal('sampling.seed: not a sampling setting; expected temperature, topP, topK, maxTokens')
    expect(refused({ sampling: [0.5] })).to.equal('sampling: expected an object')
    expect(refused([] as never)).to.equal('settings: expected an object')
    expect(refused({ ['k'.repeat(500)]: 1 }).length).to.be.lessThan(150)
  })
})

describe('checkAgentMsg', () => {
  const replyTo = { askId: '1', node: 'peer' }
  const sink = { kind: 'actor', address: { node: 'peer', path: '/agent-gateway' } }
  const answer = { requestId: 'r', text: 'hi', model: 'tiny', stopReason: 'eos', promptTokens: 3, completionTokens: 1, droppedTurns: 0, ttftMs: 1.5, durationMs: 2 }
  const call = { id: 'c1', name: 'calc__add', arguments: { a: 1, b: 2 } }
  const result = { callId: 'c1', name: 'calc__add', isError: false, text: '3' }
  const refused = refusalOf(checkAgentMsg)

  it('should pass the messages a node and a room send an agent', () => {
    for (const msg of [
      { type: 'ask', user: 'ann', text: 'hello?', requestId: '6f1c0b3e-0d1f-4a52-9a8e-2b3c4d5e6f70', sink, replyTo },
      { type: 'ask', user: 'ann', text: 'hi @agent', requestId: 'room/general/7', sink: { kind: 'entity', type: 'room', key: 'general' }, replyTo },
      { type: 'ask', user: 'ann', text: 'what time is it?', requestId: 'r', sink, tool: 'clock__now', replyTo },
      { type: 'cancel', user: 'ann', requestId: 'r' },
      { type: 'history', user: 'ann', limit: MAX_AGENT_TURNS, replyTo },
      { type: 'settings', user: 'ann', replyTo },
      { type: 'models', user: 'ann', replyTo },
      { type: 'configure', user: 'ann', change: { persona: '', sampling: { maxTokens: 5 } }, replyTo },
      { type: 'reset', user: 'ann', replyTo },
      { type: 'generation-ended', requestId: 'r', outcome: { ok: true, answer } },
      { type: 'generation-ended', requestId: 'r', outcome: { ok: false, error: { name: 'QueueFullError', message: 'full', kind: 'exhausted' } } },
      { type: 'generation-ended', requestId: 'r', outcome: { ok: true, answer: { ...answer, stopReason: 'tool-calls' }, calls: [call, { ...call, id: 'c2', arguments: {}, refused: 'not offered' }] } },
      { type: 'tools-ended', requestId: 'r', results: [result, { ...result, callId: 'c2', isError: true, text: '' }] }
    ]) expect(refused(msg), msg.type).to.equal('')
  })

  it('should refuse a round of tool calls or results that is not one the agent makes, naming the field', () => {
    const ended = (calls: unknown): string => refused({ type: 'generation-ended', requestId: 'r', outcome: { ok: true, answer, calls } })
    expect(ended('calls')).to.equal('agent message generation-ended: outcome.calls: expected an array of at most 8 objects, got "calls"')
    expect(ended(Array.from({ length: MAX_TOOL_CALLS_PER_ROUND + 1 }, () => call))).to.match(/outcome.calls: expected an array of at most 8 objects, got an array/)
    expect(ended([5])).to.equal('agent message generation-ended: outcome.calls.0: expected an object, got 5')
    expect(ended([{ ...call, id: 'i'.repeat(MAX_TOOL_CALL_ID_LENGTH + 1) }])).to.match(/outcome.calls.0.id: expected a string of 1 to 64 characters/)
    expect(ended([{ ...call, name: '' }])).to.match(/outcome.calls.0.name: expected a string of 1 to 64 characters/)
    expect(ended([{ ...call, arguments: [1] }])).to.match(/outcome.calls.0.arguments: expected an object, got an array/)
    expect(ended([{ ...call, arguments: { big: 'x'.repeat(MAX_TOOL_ARGS_BYTES) } }])).to.match(/outcome.calls.0.arguments: expected an object of at most 65536 characters as JSON/)
    expect(ended([{ ...call, refused: 7 }])).to.match(/outcome.calls.0.refused: expected a string/)
    const results = (list: unknown): string => refused({ type: 'tools-ended', requestId: 'r', results: list })
    expect(results([])).to.equal('agent message tools-ended: results: expected at least one tool result, got an array')
    expect(results([{ ...result, isError: 'no' }])).to.equal('agent message tools-ended: results.0.isError: expected true or false, got "no"')
    expect(results([{ ...result, text: 'x'.repeat(AGENT_TOOL_RESULT_BYTES + 1) }])).to.match(/results.0.text: expected a string of 0 to 16384 characters/)
    expect(results([{ ...result, callId: undefined }])).to.match(/results.0.callId: expected a string/)
  })

  it('should take the stream events an agent sends (tokens, queue positions, tool calls and results) and refuse others, naming the field', () => {
    const event = (e: unknown): string => {
      try {
        checkAgentStreamEvent(new MessageCheck({ type: 'agent-stream', requestId: 'r', event: e }, 'agent stream'))
      } catch (err) {
        return (err as Error).message
      }
      return ''
    }
    for (const ok of [
      { kind: 'token', text: '' }, { kind: 'queued', position: 1 }, { kind: 'tool-call', id: 'c1', name: 'clock__now', arguments: '{}' },
      { kind: 'tool-result', id: 'c1', name: 'clock__now', isError: false, text: 'x'.repeat(STREAM_TOOL_RESULT_BYTES), clipped: true }
    ]) expect(event(ok), JSON.stringify(ok)).to.equal('')
    expect(event({ kind: 'tool-call', id: 'c1', name: 'clock__now' })).to.match(/event.arguments: expected a string of 2 to 65536 characters, got nothing/)
    expect(event({ kind: 'tool-result', id: 'c1', name: 'clock__now', isError: false, text: 'x'.repeat(STREAM_TOOL_RESULT_BYTES + 1), clipped: true })).to.match(/event.text: expected a string of 0 to 1024/)
    expect(event({ kind: 'tool-result', id: 'c1', name: 'clock__now', isError: false, text: '' })).to.match(/event.clipped: expected true or false, got nothing/)
    expect(event({ kind: 'tool-answer' })).to.match(/event.kind: expected one of queued, token, tool-call, tool-result/)
  })

  it('should refuse a malformed message naming the field', () => {
    expect(refused({ type: 'ask', user: 'ann', text: '', requestId: 'r', sink, replyTo })).to.match(/^agent message ask: text: expected text that is not empty/)
    expect(refused({ type: 'ask', user: 'ann', text: 'x'.repeat(MAX_CHAT_TEXT_BYTES + 1), requestId: 'r', sink, replyTo })).to.match(/^agent message ask: text: \d+ bytes is over the limit/)
    expect(refused({ type: 'ask', user: 'ann', text: 'hi', requestId: 'r'.repeat(MAX_REQUEST_ID_LENGTH + 1), sink, replyTo })).to.match(/^agent message ask: requestId: /)
    expect(refused({ type: 'ask', user: 'ann', text: 'hi', requestId: 'r', sink: { kind: 'entity', type: 'Room!', key: 'general' }, replyTo })).to.equal('agent message ask: sink.type: expected an entity type name, got "Room!"')
    expect(refused({ type: 'ask', user: 'ann', text: 'hi', requestId: 'r', sink: { kind: 'actor', address: { node: 'peer', path: 'gw' } }, replyTo })).to.match(/^agent message ask: sink.address: expected an actor address/)
    for (const tool of ['clock__*', 'clock', 'Clock__now', `clock__${'n'.repeat(60)}`, '', 7, null]) {
      expect(refused({ type: 'ask', user: 'ann', text: 'hi', requestId: 'r', sink, tool, replyTo }), String(tool)).to.match(/^agent message ask: tool: expected a qualified tool name <source>__<tool> of at most 64 characters, got /)
    }
    expect(refused({ type: 'history', user: 'ann', limit: MAX_AGENT_TURNS + 1, replyTo })).to.match(/^agent message history: limit: expected an integer from 1 to 200/)
    expect(refused({ type: 'configure', user: 'ann', change: { colour: 'red' }, replyTo })).to.equal('colour: not a setting; expected persona, model, sampling')
    expect(refused({ type: 'generation-ended', requestId: 'r', outcome: { ok: 'yes' } })).to.equal('agent message generation-ended: outcome.ok: expected true or false, got "yes"')
    expect(refused({ type: 'generation-ended', requestId: 'r', outcome: { ok: true, answer: { ...answer, stopReason: 'bored' } } })).to.match(/^agent message generation-ended: outcome.answer.stopReason: expected one of eos, max-tokens/)
    expect(refused({ type: 'generation-ended', requestId: 'r', outcome: { ok: false, error: { message: 'no name' } } })).to.match(/outcome.error: expected an error as data/)
    expect(refused({ type: 'cancel', user: 5, requestId: 'r' })).to.match(/^agent message cancel: user: expected a user name/)
    expect(refused({ type: 'think', user: 'ann' })).to.equal('agent message: unknown type "think"; expected one of ask, cancel, history, settings, models, configure, reset, erase, generation-ended, tools-ended, export-page, import')
  })

  it('should throw nothing but an invalid-kind error (InvalidMessageError, or InvalidAgentRequestError for settings), whatever arrives', () => {
    onlyRefusals(checkAgentMsg, agentMessage(), { runs: 2000, minPassed: 100, classes: [InvalidMessageError, InvalidAgentRequestError] })
  })
})
