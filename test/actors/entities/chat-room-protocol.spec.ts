import { expect } from 'chai'
import { InvalidMessageError, checkRoomMsg } from '../../../actors/index.ts'
import { MAX_CHAT_TEXT_BYTES, MAX_HISTORY_LIMIT } from '../../../protocols/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'
import { roomMessage } from '../../helpers/entity-messages.ts'

describe('checkRoomMsg', () => {
  const replyTo = { askId: '1', node: 'peer' }
  const gateway = { node: 'peer', path: '/chat-gateway' }
  /** The refusal's message, or '' when the message passes. */
  const refused = refusalOf(checkRoomMsg, InvalidMessageError)

  it('should pass every room message as nodes send them', () => {
    for (const msg of [
      { type: 'post', user: 'ann', text: 'hi', replyTo },
      { type: 'post', user: 'ann', text: 'é'.repeat(MAX_CHAT_TEXT_BYTES / 2), clientId: '0b5a6c1e-27f4-4d7a-9a43-8e1f0e6d2c11', replyTo },
      { type: 'join', user: 'ann', replyTo },
      { type: 'leave', user: 'ann', replyTo },
      { type: 'history', after: 0, limit: MAX_HISTORY_LIMIT, replyTo },
      { type: 'info', replyTo },
      { type: 'subscribe', gateway, replyTo },
      { type: 'unsubscribe', gateway },
      { type: 'agent-stream', requestId: 'room/general/3', event: { kind: 'token', text: '' } },
      { type: 'agent-stream', requestId: 'room/general/3', event: { kind: 'queued', position: 2 } },
      { type: 'agent-replied', requestId: 'room/general/3', text: '', error: 'no model' },
      { type: 'post-judged' },
      { type: 'command-answered' },
      { type: 'hooks-idle', plugin: 'mod-bot', seq: 0 },
      { type: 'export-page', after: 0, limit: 10_000, replyTo },
      { type: 'export-head', reader: '12D3KooWQ4UiNKcnwhjViDSdhxXAu3guL94UX11s6vCh4A4T7tuG', replyTo },
      { type: 'import', user: 'ann', source: 'c1/room/general/e1', posts: [{ seq: 1, user: "bob's agent", text: 'hi', ts: 5, clientId: 'c-1' }, { seq: 3, user: 'dice[bot]', text: 'x', ts: 6 }], dryRun: true, replyTo },
      // a field this node does not know (a newer peer's) is ignored, never journaled
      { type: 'post', user: 'ann', text: 'hi', replyTo, priority: 'high' }
    ]) expect(refused(msg), JSON.stringify(msg).slice(0, 80)).to.equal('')
  })

  it('should refuse a malformed message naming the field and what it expects, never echoing a long value', () => {
    expect(refused({ type: 'post', user: 5, text: 'hi', replyTo })).to.equal('room message post: user: expected a user name (1-32 characters of a-z, 0-9, _ and -, starting with a letter), got 5')
    expect(refused({ type: 'post', user: 'ann', text: {}, replyTo })).to.equal('room message post: text: expected text that is not empty, got an object')
    expect(refused({ type: 'post', user: 'ann', text: '', replyTo })).to.equal('room message post: text: expected text that is not empty, got ""')
    expect(refused({ type: 'post', user: 'ann', text: 'é'.repeat(MAX_CHAT_TEXT_BYTES / 2 + 1), replyTo })).to.equal(`room message post: text: ${MAX_CHAT_TEXT_BYTES + 2} bytes is over the limit of ${MAX_CHAT_TEXT_BYTES}`)
    expect(refused({ type: 'post', user: 'ann', text: 'hi', clientId: '', replyTo })).to.match(/^room message post: clientId: expected a client id/)
    expect(refused({ type: 'post', user: 'ann', text: 'hi', clientId: 'has space', replyTo })).to.match(/^room message post: clientId: /)
    expect(refused({ type: 'post', user: 'ann', text: 'hi', ref: 'has space', replyTo })).to.match(/^room message post: ref: expected a client id/)
    expect(refused({ type: 'post', user: 'ann', text: 'hi', clientId: 'c-1', ref: 'r-1', replyTo })).to.equal('room message post: ref: expected absent when the post has a client id, got "r-1"')
    expect(refused({ type: 'post', user: 'ann', text: 'hi' })).to.equal('room message post: replyTo: expected a reply address { askId, node }, got nothing')
    expect(refused({ type: 'post', user: 'ann', text: 'hi', replyTo: { askId: 'x'.repeat(33), node: 'n' } })).to.match(/replyTo: expected a reply address/)
    expect(refused({ type: 'history', after: 1.5, limit: 10, replyTo })).to.equal('room message history: after: expected an integer from 0 to 9007199254740991, got 1.5')
    expect(refused({ type: 'history', after: 0, limit: 0, replyTo })).to.equal(`room message history: limit: expected an integer from 1 to ${MAX_HISTORY_LIMIT}, got 0`)
    expect(refused({ type: 'subscribe', gateway: { node: 'n', path: 'x'.repeat(600) }, replyTo })).to.match(/^room message subscribe: gateway: expected an actor address/)
    expect(refused({ type: 'export-page', after: 0, limit: 10_001, replyTo })).to.match(/^room message export-page: limit: expected an integer from 1 to 10000/)
    expect(refused({ type: 'export-head', reader: '', replyTo })).to.match(/^room message export-head: reader: expected/)
    expect(refused({ type: 'export-head', reader: 'n'.repeat(129), replyTo })).to.match(/^room message export-head: reader: /)
    expect(refused({ type: 'export-head', reader: 'n' })).to.match(/^room message export-head: replyTo: /)
    const post = { seq: 1, user: 'bob', text: 'hi', ts: 5 }
    expect(refused({ type: 'import', user: 'ann', source: 'has space', posts: [post], replyTo })).to.match(/^room message import: source: expected printable ASCII/)
    expect(refused({ type: 'import', user: 'ann', source: 's', posts: [post, post], replyTo })).to.equal('room message import: posts.1.seq: expected a seq above the one before (1), got 1')
    expect(refused({ type: 'import', user: 'ann', source: 's', posts: [{ ...post, text: '' }], replyTo })).to.match(/^room message import: posts.0.text: expected text that is not empty/)
    expect(refused({ type: 'import', user: 'ann', source: 's', posts: Array.from({ length: 1001 }, (_, i) => ({ ...post, seq: i + 1 })), replyTo })).to.match(/^room message import: posts: expected an array of at most 1000 objects/)
    expect(refused({ type: 'import', user: 'ann', source: 's', posts: [1, 2, 3].map((seq) => ({ ...post, seq, text: 'x'.repeat(800_000) })), replyTo })).to.match(/^room message import: posts: expected at most 2097152 bytes of text in one batch \(2400000 came\)/)
    expect(refused({ type: 'agent-stream', requestId: 'r', event: { kind: 'shout' } })).to.equal('room message agent-stream: event.kind: expected one of queued, token, tool-call, tool-result, got "shout"')
    expect(refused({ type: 'x'.repeat(1000) })).to.match(/^room message: unknown type "x+…; expected one of post, join, leave, history, info, subscribe, unsubscribe, agent-stream, agent-replied, post-judged, command-answered, hooks-idle, redact, erase-user, apply-retention, export-head, export-page, import$/)
    expect(refused({ type: 'hooks-idle', plugin: 'Mod', seq: 1 })).to.match(/^room message hooks-idle: plugin: expected a plugin name/)
    expect(refused({ type: 'hooks-idle', plugin: 'mod', seq: -1 })).to.match(/^room message hooks-idle: seq: expected an integer from 0/)
    expect(refused({ type: 'post', user: 'u'.repeat(5000), text: 'hi', replyTo }).length).to.be.below(200)
    expect(refused([{ type: 'post' }])).to.equal('room message: expected an object with a type, got an array')
    expect(refused({ user: 'ann' })).to.equal('room message: type: expected a string, got nothing')
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkRoomMsg, roomMessage(), { runs: 2000, minPassed: 100, classes: [InvalidMessageError] })
  })
})
