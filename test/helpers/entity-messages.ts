import fc from 'fast-check'
import { CLIENT_ID_PATTERN, MAX_AGENT_TURNS, MAX_HISTORY_LIMIT, ROOM_NAME_PATTERN, USER_NAME_PATTERN } from '../../protocols/index.ts'

/**
 * Arbitrary messages for the built-in entity types, for property tests of their checks
 * (EntityType.check) and of the entities behind them. Each message is near a valid one: its type
 * is usually one the protocol has and each field usually a valid value, but any field may be
 * anything at all, or missing, so that both what a check accepts and what it refuses are explored.
 */

/** A field: mostly a valid value, sometimes anything (any JSON-like value), sometimes missing. */
function field (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.anything() }, { weight: 1, arbitrary: fc.constant(undefined) })
}

/** A message of `type` with these fields, each possibly wrong. */
function message (type: string, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const shape: Record<string, fc.Arbitrary<unknown>> = { type: field(fc.oneof({ weight: 9, arbitrary: fc.constant(type) }, { weight: 1, arbitrary: fc.string() })) }
  for (const [name, valid] of Object.entries(fields)) shape[name] = field(valid)
  return fc.record(shape)
}

/** Anything at all, or a message of one of the types. */
function oneOfMessages (...messages: Array<fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 1, arbitrary: fc.anything() }, { weight: 8, arbitrary: fc.oneof(...messages) })
}

/** A few user names that recur (so that posts, joins and ids collide), one of them a property of
 * every JavaScript object (the entities key their state by user name). */
export const userName = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom('ann', 'bob', 'constructor'), fc.stringMatching(USER_NAME_PATTERN))
const text = (): fc.Arbitrary<string> => fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.constant('hello @agent'))
const replyTo = (): fc.Arbitrary<unknown> => fc.record({ askId: fc.string({ minLength: 1, maxLength: 32 }), node: fc.constantFrom('local', 'elsewhere') })
const address = (): fc.Arbitrary<unknown> => fc.record({ node: fc.constantFrom('local', 'elsewhere'), path: fc.constantFrom('/gw', '/nobody', '/entities') })
const requestId = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom('r1', 'room/general/1'), fc.string({ minLength: 1, maxLength: 40 }))
const count = (): fc.Arbitrary<number> => fc.oneof(fc.nat({ max: 100 }), fc.integer())
const toolName = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom('clock__now', 'calc__add', 'clock__*', 'x', ''), fc.stringMatching(/^[a-z][a-z0-9-]{0,5}__[a-zA-Z0-9_-]{1,6}$/))
const toolEvents = (): Array<fc.Arbitrary<unknown>> => [
  fc.record({ kind: field(fc.constant('tool-call')), id: field(fc.constantFrom('c1', 'call-1')), name: field(toolName()), arguments: field(fc.constantFrom('{}', '{"a":1}', '')) }),
  fc.record({ kind: field(fc.constant('tool-result')), id: field(fc.constantFrom('c1', 'call-1')), name: field(toolName()), isError: field(fc.boolean()), text: field(fc.string()), clipped: field(fc.boolean()) })
]
const streamEvent = (): fc.Arbitrary<unknown> => fc.oneof(
  fc.record({ kind: field(fc.constant('queued')), position: field(fc.nat()) }),
  fc.record({ kind: field(fc.constant('token')), text: field(fc.string()) }),
  ...toolEvents())

export function roomMessage (): fc.Arbitrary<unknown> {
  return oneOfMessages(
    message('post', { user: userName(), text: text(), clientId: fc.oneof(fc.constantFrom('c1', 'c2'), fc.stringMatching(CLIENT_ID_PATTERN)), replyTo: replyTo() }),
    message('join', { user: userName(), replyTo: replyTo() }),
    message('leave', { user: userName(), replyTo: replyTo() }),
    message('history', { after: count(), limit: fc.integer({ min: 0, max: MAX_HISTORY_LIMIT + 1 }), replyTo: replyTo() }),
    message('info', { replyTo: replyTo() }),
    message('subscribe', { gateway: address(), replyTo: replyTo() }),
    message('unsubscribe', { gateway: address() }),
    message('agent-stream', { requestId: requestId(), event: streamEvent() }),
    message('agent-replied', { requestId: requestId(), text: fc.string(), error: fc.string() }),
    message('post-judged', {}),
    message('command-answered', {}),
    message('hooks-idle', { plugin: fc.constantFrom('mod', 'dice', 'Bad Name', ''), seq: count() }),
    message('redact', { user: userName(), seq: count(), admin: fc.oneof(fc.boolean(), fc.constant('yes')), replyTo: replyTo() }),
    message('erase-user', { user: userName(), by: fc.oneof(fc.constant('admin'), fc.string()), replyTo: replyTo() }),
    message('apply-retention', { retention: fc.record({ days: fc.oneof(count(), fc.constant(0)), posts: count() }), now: fc.oneof(fc.nat(), fc.double()), replyTo: replyTo() }),
    // export and import share one slot: the other messages are drawn as often as before
    fc.oneof(
      message('export-page', { after: count(), limit: fc.integer({ min: 0, max: 10_001 }), replyTo: replyTo() }),
      message('export-head', { reader: fc.oneof(fc.constant('12D3KooWQ4UiNKcnwhjViDSdhxXAu3guL94UX11s6vCh4A4T7tuG'), fc.string({ maxLength: 140 })), replyTo: replyTo() }),
      message('import', { user: userName(), source: fc.constantFrom('c/room/r/e', 'a b', ''), posts: importItems(), dryRun: fc.boolean(), replyTo: replyTo() })))
}

/** A batch of imported posts (or turns): seqs that mostly increase, authors that are mostly roles
 * (what an agent takes) or user names, any text. */
function importItems (): fc.Arbitrary<unknown> {
  const item = (seq: number): fc.Arbitrary<unknown> => fc.record({ seq: field(fc.constant(seq)), user: field(fc.oneof(fc.constantFrom('user', 'assistant'), userName())), text: field(text()), ts: field(fc.nat()) })
  return fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 3 }).chain((seqs) => fc.tuple(...seqs.sort((a, b) => a - b).map(item)))
}

export function postHooksMessage (): fc.Arbitrary<unknown> {
  const room = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom('general', 'constructor', ''), fc.stringMatching(ROOM_NAME_PATTERN))
  const post = fc.record({ user: field(fc.oneof(userName(), fc.constant('dice[bot]'))), text: field(fc.string()), ts: field(fc.oneof(fc.double(), fc.nat())) })
  return oneOfMessages(
    message('watch', { room: room(), from: count(), replyTo: replyTo() }),
    message('committed', { room: room(), seq: count(), post }),
    message('head', { room: room(), seq: count() }),
    message('unwatch', { room: room(), seq: count() }),
    message('resume', {}),
    message('pump', {}),
    message('cursors', { replyTo: replyTo() }))
}

export function roomDirectoryMessage (): fc.Arbitrary<unknown> {
  return oneOfMessages(
    message('register', { name: fc.oneof(fc.constantFrom('general', 'constructor'), fc.stringMatching(ROOM_NAME_PATTERN)), by: userName(), ts: fc.double(), replyTo: replyTo() }),
    message('list', { replyTo: replyTo() }))
}

export function userDirectoryMessage (): fc.Arbitrary<unknown> {
  const tokenHash = fc.oneof(fc.constantFrom('a'.repeat(64), 'b'.repeat(64)), fc.stringMatching(/^[0-9a-f]{64}$/))
  return oneOfMessages(
    message('add', { name: userName(), tokenHash, replyTo: replyTo() }),
    message('remove', { name: userName(), replyTo: replyTo() }),
    message('get', { name: userName(), replyTo: replyTo() }),
    message('list', { replyTo: replyTo() }),
    message('authenticate', { tokenHash, replyTo: replyTo() }),
    message('changes', { after: fc.oneof(fc.nat({ max: 20 }), fc.integer({ min: -5, max: -1 })), limit: fc.integer({ min: -1, max: 1_100 }), replyTo: replyTo() }))
}

/** Messages for the agent of `ann` (and others' messages to it, which it refuses). */
export function agentMessage (): fc.Arbitrary<unknown> {
  const user = fc.oneof({ weight: 4, arbitrary: fc.constant('ann') }, { weight: 1, arbitrary: userName() })
  const sink = fc.oneof(
    fc.record({ kind: field(fc.constant('actor')), address: field(address()) }),
    fc.record({ kind: field(fc.constant('entity')), type: field(fc.constantFrom('room', 'nope')), key: field(fc.constantFrom('general', '')) }))
  const change = fc.record({
    persona: field(fc.string({ maxLength: 20 })),
    model: field(fc.constantFrom('', 'tiny', 'missing')),
    sampling: field(fc.record({ temperature: field(fc.double({ min: 0, max: 2, noNaN: true })), topK: field(fc.nat({ max: 1000 })), maxTokens: field(fc.integer({ min: 1, max: 8 })) }))
  })
  const answer = fc.record({
    requestId: requestId(), text: fc.string(), model: fc.constant('tiny'), stopReason: fc.constantFrom('eos', 'max-tokens', 'cancelled', 'tool-calls'),
    promptTokens: fc.nat(), completionTokens: fc.nat(), droppedTurns: fc.nat(), ttftMs: fc.nat(), durationMs: fc.nat()
  })
  const call = fc.record({ id: field(fc.constantFrom('c1', 'call-1', 'c2')), name: field(toolName()), arguments: field(fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }))) })
  const result = fc.record({ callId: field(fc.constantFrom('c1', 'call-1', 'c2')), name: field(toolName()), isError: field(fc.boolean()), text: field(fc.string()) })
  const outcome = fc.oneof(
    fc.record({ ok: field(fc.constant(true)), answer: field(answer) }),
    fc.record({ ok: field(fc.constant(true)), answer: field(answer), calls: field(fc.array(call, { maxLength: 3 })) }),
    fc.record({ ok: field(fc.constant(false)), error: field(fc.record({ name: fc.constant('Error'), message: fc.string(), kind: fc.constant('internal') })) }))
  return oneOfMessages(
    message('ask', { user, text: text(), requestId: requestId(), sink, replyTo: replyTo() }),
    message('cancel', { user, requestId: requestId() }),
    message('history', { user, limit: fc.integer({ min: 0, max: MAX_AGENT_TURNS + 1 }), replyTo: replyTo() }),
    // settings and models (the node's models, read) share one slot
    fc.oneof(message('settings', { user, replyTo: replyTo() }), message('models', { user, replyTo: replyTo() })),
    message('configure', { user, change, replyTo: replyTo() }),
    message('reset', { user, replyTo: replyTo() }),
    message('erase', { user, by: fc.constant('admin'), replyTo: replyTo() }),
    message('generation-ended', { requestId: requestId(), outcome }),
    message('tools-ended', { requestId: requestId(), results: fc.array(result, { maxLength: 3 }) }),
    // export and import share one slot: the other messages are drawn as often as before
    fc.oneof(
      message('export-page', { user, after: count(), limit: fc.integer({ min: 0, max: 10_001 }), replyTo: replyTo() }),
      message('import', { user, source: fc.constantFrom('c/agent/ann/e', 'a b'), turns: importItems(), dryRun: fc.boolean(), replyTo: replyTo() })))
}

/** Messages for the tool policy of `ann` (and others' switches of it, which it refuses). */
export function toolPolicyMessage (): fc.Arbitrary<unknown> {
  const user = fc.oneof({ weight: 4, arbitrary: fc.constant('ann') }, { weight: 1, arbitrary: userName() })
  const tools = fc.array(toolName(), { maxLength: 4 })
  return oneOfMessages(
    message('get', { replyTo: replyTo() }),
    message('grant', { tools, replyTo: replyTo() }),
    message('revoke', { tools, replyTo: replyTo() }),
    message('switch', { user, enable: tools, disable: tools, replyTo: replyTo() }))
}
